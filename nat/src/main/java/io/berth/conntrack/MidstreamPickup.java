package io.berth.conntrack;

/**
 * Whether, and how, a TCP packet in the middle of a stream (no SYN) for no known connection may create one:
 * Linux's {@code nf_conntrack_tcp_loose}. This is what lets connections through NAT survive a berthd that was
 * killed before it could save its tables: the next packet of each connection, from either end, re-creates it.
 * <ul>
 * <li>Original direction ({@link #mayOpen}): the packet's sender is taken as the connection's originator, and
 * the NAT stages decide its translation as for a new connection (SNAT keeps the source port where it can, so a
 * masqueraded connection gets its old external port back; DNAT finds the published port again).</li>
 * <li>Reply direction ({@link #publishedAt}): a packet from the inside end of a published port is the reply of a
 * connection the outside peer opened to the host port, so the connection is re-created the way round it was
 * made, already translated.</li>
 * </ul>
 * What neither recovers (a reply to a masqueraded port, whose container only the lost table knew) stays INVALID
 * and is dropped, never answered with a RST: the container's own next packet then picks the connection up.
 * Implementations are called on the worker thread, must not allocate, and read tables the worker owns.
 */
public interface MidstreamPickup
{
    /** {@link #publishedAt}: not the inside end of a published port, or ambiguous. */
    long NONE = -1;

    /** Strict tracking: only a SYN creates a connection. */
    MidstreamPickup STRICT = new MidstreamPickup()
    {
        @Override
        public boolean mayOpen(final int source, final int sourcePort, final int destination, final int destinationPort)
        {
            return false;
        }

        @Override
        public long publishedAt(final int source, final int sourcePort, final int destination)
        {
            return NONE;
        }
    };

    /**
     * Whether a mid-stream packet from {@code source:sourcePort} to {@code destination:destinationPort} may
     * create a connection in the original direction. Refuse for the host's own addresses unless the port is
     * published there (such a packet is the reply of a lost masqueraded connection, and the host would answer it
     * with a RST), and from a published port's inside end that {@link #publishedAt} could not place (masquerading
     * it would give the peer a source it does not know, and it would reset the connection).
     */
    boolean mayOpen(int source, int sourcePort, int destination, int destinationPort);

    /**
     * When {@code source:sourcePort} is the one inside end of a published TCP port, the host address and port the
     * peer {@code destination} reached it at, packed as {@link #outsideEnd}; else {@link #NONE}.
     */
    long publishedAt(int source, int sourcePort, int destination);

    /**
     * IPv6 (issue 27): whether a mid-stream packet to {@code destinationHi}:{@code destinationLo} may create a
     * connection in the original direction: never for berthd's own addresses (a reply to a lost masqueraded or
     * published connection: the container's own next packet picks it up). Published IPv6 connections are not
     * re-created from their inside end. By default, strict.
     */
    default boolean mayOpen6(final long destinationHi, final long destinationLo)
    {
        return false;
    }

    static long outsideEnd(final int hostAddress, final int hostPort)
    {
        return ((long)hostAddress << 32) | (hostPort & 0xFFFF);
    }

    static int outsideAddress(final long outsideEnd)
    {
        return (int)(outsideEnd >>> 32);
    }

    static int outsidePort(final long outsideEnd)
    {
        return (int)outsideEnd & 0xFFFF;
    }
}
