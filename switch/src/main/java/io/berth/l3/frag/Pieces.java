package io.berth.l3.frag;

import io.berth.dataplane.PacketPool;

/** What a fragment berth cuts takes from its datagram, for IPv4 and IPv6 alike. Worker thread. */
final class Pieces
{
    private Pieces()
    {
    }

    /**
     * The datagram's ingress port, domain and egress go with the piece, so it leaves where the datagram would
     * have; it carries no virtio-net header (fragments have complete checksums and are never segmented).
     */
    static void inherit(final PacketPool pool, final int piece, final int datagram)
    {
        pool.inPort(piece, pool.inPort(datagram));
        pool.domain(piece, pool.domain(datagram));
        pool.egress(piece, pool.egress(datagram));
        pool.clearVnetHeader(piece);
    }
}
