package io.berth.nat;

/**
 * What the NAT stages count of connections; one 64-bit counter each in {@link NatCounters}. Dropped packets are
 * counted once, by their drop reason ({@link NatDrops}).
 */
public enum NatCounter
{
    SNAT_CONNECTIONS("connections masqueraded"),
    SNAT_PORT_KEPT("masqueraded connections that kept their source port"),
    SNAT_NO_PORT("connections refused: no free external port (dropped)"),
    DNAT_CONNECTIONS("connections to a published port"),
    DNAT_CLASH("connections refused: translated reply tuple already in use (dropped)");

    private final String description;

    NatCounter(final String description)
    {
        this.description = description;
    }

    public String description()
    {
        return description;
    }

    public String counterName()
    {
        return "nat_" + name().toLowerCase();
    }
}
