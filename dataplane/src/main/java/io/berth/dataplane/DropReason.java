package io.berth.dataplane;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Why the dataplane dropped a packet. Each module declares its own reasons beside its nodes (VPP's per-node error
 * lists): the ones here are the base module's (the frame checks of parse and decap, the port-security reasons
 * shared by the switch, the router and the VXLAN decap, transmit and the graph itself); the switch's are in {@code
 * L2Drops} and {@code L3Drops}, conntrack's in {@code ConntrackDrops}, NAT's in {@code NatDrops}, VXLAN's in {@code
 * VxlanDrops}. Every reason has a dense index ({@link #ordinal}) into the graph's per-node drop counters, handed
 * out as reasons are declared, at most {@link #capacity()}; the drop is the count, nothing else counts it. A
 * module's reasons are declared when its class is first used: the composition names every module's list, so {@code
 * berth counters} shows them all. Immutable; declared on whichever thread loads a module (synchronized).
 */
public final class DropReason
{
    /** Room for every module's reasons: the width of each node's drop counters. */
    private static final int CAPACITY = 96;
    private static final DropReason[] DECLARED = new DropReason[CAPACITY];
    private static int declared;

    public static final DropReason FRAME_TOO_SHORT = declare("FRAME_TOO_SHORT",
        "frame shorter than an Ethernet header");
    public static final DropReason FRAME_TOO_LONG = declare("FRAME_TOO_LONG",
        "frame longer than the port MTU allows");
    public static final DropReason ARP_TRUNCATED = declare("ARP_TRUNCATED",
        "ARP shorter than its header says");
    public static final DropReason ARP_MALFORMED = declare("ARP_MALFORMED",
        "ARP that is not Ethernet/IPv4");
    public static final DropReason IPV4_TRUNCATED = declare("IPV4_TRUNCATED",
        "IPv4 shorter than its header or total length");
    public static final DropReason IPV4_MALFORMED = declare("IPV4_MALFORMED",
        "IPv4 with a bad version or header length");
    public static final DropReason L4_TRUNCATED = declare("L4_TRUNCATED",
        "TCP, UDP or ICMP header cut short");
    public static final DropReason SOURCE_MAC_INVALID = declare("SOURCE_MAC_INVALID",
        "multicast or zero source MAC");
    public static final DropReason UNKNOWN_PORT = declare("UNKNOWN_PORT",
        "frame from a port in no network");
    public static final DropReason MAC_SPOOF = declare("MAC_SPOOF",
        "port security: a frame whose source MAC is not the sending port's own (or is another port's)");
    public static final DropReason ARP_SPOOF = declare("ARP_SPOOF",
        "port security: ARP whose sender MAC or address is not the sending port's own");
    public static final DropReason SAME_PORT = declare("SAME_PORT",
        "destination learned on the inbound port");
    public static final DropReason NO_ROUTE = declare("NO_ROUTE",
        "no route to the destination (no uplink)");
    public static final DropReason SPOOFED_SOURCE = declare("SPOOFED_SOURCE",
        "IPv4 source address not the sender's own (port security, and the reverse-path check)");
    public static final DropReason NODE_EXCEPTION = declare("NODE_EXCEPTION",
        "a graph node threw while holding the packet (a bug: see berthd's log)");
    public static final DropReason GSO_UNSUPPORTED = declare("GSO_UNSUPPORTED",
        "segmented frame for a port without offloads");
    public static final DropReason TX_FAILED = declare("TX_FAILED",
        "the egress port refused the frame");
    public static final DropReason NO_EGRESS = declare("NO_EGRESS",
        "no egress decided");

    /** The base module's reasons. */
    public static final List<DropReason> BASE = List.of(FRAME_TOO_SHORT, FRAME_TOO_LONG, ARP_TRUNCATED,
        ARP_MALFORMED, IPV4_TRUNCATED, IPV4_MALFORMED, L4_TRUNCATED, SOURCE_MAC_INVALID, UNKNOWN_PORT, MAC_SPOOF,
        ARP_SPOOF, SAME_PORT, NO_ROUTE, SPOOFED_SOURCE, NODE_EXCEPTION, GSO_UNSUPPORTED, TX_FAILED, NO_EGRESS);

    private final int ordinal;
    private final String name;
    private final String description;

    private DropReason(final int ordinal, final String name, final String description)
    {
        this.ordinal = ordinal;
        this.name = name;
        this.description = description;
    }

    /**
     * A new reason, in upper case as its module names it ({@code counters} shows it in lower case). Class
     * initialisation of a module's drop list; a name declared twice is a bug.
     */
    public static synchronized DropReason declare(final String name, final String description)
    {
        if (!name.matches("[A-Z][A-Z0-9_]*"))
        {
            throw new IllegalArgumentException("a drop reason is named in upper case: " + name);
        }
        for (int i = 0; i < declared; i++)
        {
            if (DECLARED[i].name.equals(name))
            {
                throw new IllegalStateException("drop reason " + name + " is declared twice");
            }
        }
        if (declared == CAPACITY)
        {
            throw new IllegalStateException("more than " + CAPACITY + " drop reasons: raise DropReason's capacity");
        }
        final DropReason reason = new DropReason(declared, name, description);
        DECLARED[declared++] = reason;
        return reason;
    }

    /** Its index into drop counters, dense from 0 across every module. */
    public int ordinal()
    {
        return ordinal;
    }

    public String name()
    {
        return name;
    }

    public String description()
    {
        return description;
    }

    public String counterName()
    {
        return name.toLowerCase();
    }

    @Override
    public String toString()
    {
        return name;
    }

    /** The reason with this index; null for an index no module declared. */
    public static DropReason of(final int ordinal)
    {
        return DECLARED[ordinal];
    }

    /** How many reasons there may be: drop counters are this wide. */
    public static int capacity()
    {
        return CAPACITY;
    }

    /** Every reason declared so far, in the order declared. */
    public static synchronized List<DropReason> values()
    {
        final List<DropReason> all = new ArrayList<>(declared);
        for (int i = 0; i < declared; i++)
        {
            all.add(DECLARED[i]);
        }
        return Collections.unmodifiableList(all);
    }
}
