package io.berth.dataplane;

/** Why the dataplane dropped a packet; each reason has its own counter in {@link DropCounters}. */
public enum DropReason
{
    FRAME_TOO_SHORT("frame shorter than an Ethernet header"),
    FRAME_TOO_LONG("frame longer than the port MTU allows"),
    ARP_TRUNCATED("ARP shorter than its header says"),
    ARP_MALFORMED("ARP that is not Ethernet/IPv4"),
    IPV4_TRUNCATED("IPv4 shorter than its header or total length"),
    IPV4_MALFORMED("IPv4 with a bad version or header length"),
    L4_TRUNCATED("TCP, UDP or ICMP header cut short"),
    SOURCE_MAC_INVALID("multicast or zero source MAC"),
    UNKNOWN_PORT("frame from a port in no network"),
    MAC_SPOOF("port security: a frame whose source MAC is not the sending port's own (or is another port's)"),
    ARP_SPOOF("port security: ARP whose sender MAC or address is not the sending port's own"),
    ISOLATED("icc=false: container to container"),
    MAC_LIMIT("port exceeded its learned-MAC limit"),
    SAME_PORT("destination learned on the inbound port"),
    NO_ROUTE("no route to the destination (no uplink)"),
    SPOOFED_SOURCE("IPv4 source address not the sender's own (port security, and the reverse-path check)"),
    ISOLATED_NETWORKS("routing between two bridge networks"),
    INTERNAL_NETWORK("an internal network's traffic towards the uplink"),
    TTL_EXCEEDED("TTL ran out at the gateway (ICMP time exceeded sent)"),
    NEIGHBOR_UNRESOLVED("next hop's MAC unknown and ARP did not answer in time"),
    LOCAL_UNHANDLED("for one of berthd's own addresses but nothing listens there"),
    NOT_FOR_US("uplink frame for another host's MAC or of a protocol berthd does not route (a promiscuous port sees the LAN)"),
    CT_INVALID("conntrack: fits no state of its connection"),
    CT_TABLE_FULL("conntrack: new connection refused, table at its limit"),
    CT_CLASH("conntrack: new connection refused, its reply tuple is taken"),
    NAT_FAILED("NAT: the connection's translation failed (no free port, or its tuple clashed)"),
    NAT_UNTRANSLATABLE("NAT: untracked packet (fragment) that would need SNAT"),
    FRAG_OVERLAP("IPv4 fragment overlapping one already received (the whole datagram is dropped)"),
    FRAG_TOO_BIG("IPv4 fragment reaching past 65,535 bytes"),
    FRAG_TINY("first IPv4 fragment too short to hold the L4 ports (RFC 1858)"),
    FRAG_MALFORMED("IPv4 fragment that is empty, or not the last and not a multiple of 8 bytes"),
    FRAG_DUPLICATE("IPv4 fragment received twice (the copy is dropped, the datagram goes on)"),
    FRAG_NO_BUFFER("IPv4 fragment of a new datagram while the packet pool is dry"),
    FRAG_NEEDED("DF set and larger than the egress MTU (ICMP fragmentation needed sent)"),
    VXLAN_MALFORMED("VXLAN datagram cut short, with the I flag clear, or with lengths that disagree"),
    VXLAN_FRAGMENTED("VXLAN datagram in a fragmented outer IPv4 packet (RFC 7348: VTEPs must not fragment)"),
    VXLAN_UNKNOWN_VNI("VXLAN datagram for a VNI no network here has"),
    VXLAN_UNKNOWN_SOURCE("VXLAN datagram from a VTEP that is neither a store host nor a listed peer"),
    VXLAN_FROM_CONTAINER("a container's UDP datagram to a known VTEP's tunnel port (it would be taken for tunnel traffic)"),
    VXLAN_NO_BUFFER("VXLAN datagram split off a UDP GSO super-datagram while the packet pool is dry"),
    LAN_L3_BROADCAST("ipvlan L3: broadcast, multicast or non-IPv4 from a container (the network routes unicast IPv4 only; also a broadcast routed from a LAN network)"),
    NODE_EXCEPTION("a graph node threw while holding the packet (a bug: see berthd's log)"),
    GATEWAY_UNHANDLED("to the gateway but not ARP or ping"),
    GSO_UNSUPPORTED("segmented frame for a port without offloads"),
    TX_FAILED("the egress port refused the frame"),
    NO_EGRESS("no egress decided");

    private final String description;

    DropReason(final String description)
    {
        this.description = description;
    }

    public String description()
    {
        return description;
    }

    public String counterName()
    {
        return name().toLowerCase();
    }

    private static final DropReason[] VALUES = values();

    public static DropReason of(final int ordinal)
    {
        return VALUES[ordinal];
    }

    public static int count()
    {
        return VALUES.length;
    }
}
