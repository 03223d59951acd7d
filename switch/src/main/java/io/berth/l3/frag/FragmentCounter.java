package io.berth.l3.frag;

/** What fragment handling counts; one 64-bit counter each in {@link FragmentCounters}. */
public enum FragmentCounter
{
    FRAGMENTS_RECEIVED("routed IPv4 fragments taken in for reassembly"),
    REASSEMBLED("datagrams reassembled from fragments and passed on whole"),
    TIMEOUTS("incomplete datagrams dropped after the reassembly timeout"),
    EVICTED("incomplete datagrams dropped to make room (table or per-source bound reached)"),
    FRAGMENTED("packets larger than the egress MTU that were fragmented"),
    FRAGMENTS_CREATED("fragments made from them"),
    FRAG_NEEDED_SENT("ICMP fragmentation-needed errors sent (DF set, too large for the egress MTU)"),
    GSO_RESIZED("segmented (TSO) frames whose segment size was lowered to fit the egress MTU");

    private final String description;

    FragmentCounter(final String description)
    {
        this.description = description;
    }

    public String description()
    {
        return description;
    }
}
