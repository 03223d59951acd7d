package io.berth.conntrack;

/** What conntrack counts; one 64-bit counter each in {@link ConntrackCounters}. */
public enum ConntrackCounter
{
    CREATED("connections created"),
    EXPIRED("connections expired by timeout"),
    REFUSED_FULL("new connections refused: table at its limit"),
    REFUSED_CLASH("new connections refused: reply tuple already in use"),
    PICKED_UP("TCP connections re-created from a mid-stream packet (tcp_loose)"),
    INVALID("packets that fit no connection state (dropped)"),
    RELATED("ICMP errors matched to a connection"),
    UNTRACKED("packets not tracked (not TCP/UDP/ICMP, or other ICMP types)"),
    FRAGMENT("IPv4 fragments, passed untracked"),
    L4_TRUNCATED("TCP, UDP or ICMP header cut short (dropped)");

    private final String description;

    ConntrackCounter(final String description)
    {
        this.description = description;
    }

    public String description()
    {
        return description;
    }

    public String counterName()
    {
        return "conntrack_" + name().toLowerCase();
    }
}
