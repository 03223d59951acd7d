package io.berth.tap;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortBase;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * One macvlan or ipvlan network's side of a parent interface, as the switch sees it: a port id in the network's
 * bridge domain. Frames of its VLAN (or untagged ones, VID 0) enter with this id as in-port, handed over by the
 * parent's {@link AfPacketPort#demux}; it never reads itself. Sending puts the 802.1Q tag in, in place, hands the
 * frame to the parent's socket and takes the tag out again, so the same packet goes on unchanged to the next copy of
 * a flood (a VLAN is berth's own business: no kernel VLAN device exists):
 * <pre>
 *   before:           [vnet 10][dst 6][src 6][type 2][payload...]
 *   on the wire: [vnet 10][dst 6][src 6][0x8100][TCI 2][type 2][payload...]   (frame start 4 bytes earlier)
 * </pre>
 * A pending checksum's start and a GSO frame's header length move with the frame: 4 bytes more. Worker thread;
 * allocation-free.
 */
public final class LanPort extends PortBase.SendOnly
{
    public static final int TAG_LENGTH = 4;
    private static final short TPID_8021Q = (short)0x8100;

    private final Port parent;
    private final int vid;
    private final VirtioNetHeader vnet = new VirtioNetHeader();

    /**
     * @param parent the port that writes to the parent interface (its {@link AfPacketPort}, which hands this port
     *               the frames of its VLAN once told with {@link AfPacketPort#demux}).
     * @param vid    1..4094, or 0 for the untagged network.
     */
    public LanPort(final int id, final Port parent, final int vid)
    {
        super(id, vid == 0 ? "lan/" + parent.name() : "lan/" + parent.name() + "." + checkVid(vid));
        this.parent = parent;
        this.vid = vid;
    }

    private static int checkVid(final int vid)
    {
        if (vid < 0 || vid > 4094)
        {
            throw new IllegalArgumentException("VLAN id " + vid + " outside 1..4094 (0: untagged)");
        }
        return vid;
    }

    public Port parent()
    {
        return parent;
    }

    public int vid()
    {
        return vid;
    }

    @Override
    public boolean transmit(final PacketPool pool, final int handle)
    {
        final int length = pool.frameLength(handle);
        final boolean sent = vid == 0 ? parent.transmit(pool, handle) : transmitTagged(pool, handle);
        if (sent)
        {
            counters.transmitted(length);
        }
        else
        {
            counters.increment(PortCounters.TX_ERRORS);
        }
        return sent;
    }

    private boolean transmitTagged(final PacketPool pool, final int handle)
    {
        final UnsafeBuffer buffer = pool.buffer();
        final int frame = pool.frameOffset(handle);
        final int vnetAt = pool.vnetOffset(handle);
        final long vnetHead = buffer.getLong(vnetAt);
        final short vnetTail = buffer.getShort(vnetAt + 8);
        final long macsHead = buffer.getLong(frame);
        final int macsTail = buffer.getInt(frame + 8);

        buffer.putLong(frame - TAG_LENGTH, macsHead);
        buffer.putInt(frame - TAG_LENGTH + 8, macsTail);
        buffer.putShort(frame + 8, TPID_8021Q, ByteOrder.BIG_ENDIAN);
        buffer.putShort(frame + 10, (short)vid, ByteOrder.BIG_ENDIAN);
        pool.adjustFrameStart(handle, -TAG_LENGTH);
        final int taggedVnet = pool.vnetOffset(handle);
        buffer.putLong(taggedVnet, vnetHead);
        buffer.putShort(taggedVnet + 8, vnetTail);
        vnet.wrap(buffer, taggedVnet);
        final boolean csum = (vnet.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0;
        if (csum || vnet.isSegmented())
        {
            vnet.set(vnet.flags(), vnet.gsoType(), vnet.isSegmented() ? vnet.hdrLen() + TAG_LENGTH : vnet.hdrLen(),
                vnet.gsoSize(), csum ? vnet.csumStart() + TAG_LENGTH : vnet.csumStart(), vnet.csumOffset());
        }

        final boolean sent = parent.transmit(pool, handle);

        pool.adjustFrameStart(handle, TAG_LENGTH);
        buffer.putLong(frame, macsHead);
        buffer.putInt(frame + 8, macsTail);
        buffer.putLong(vnetAt, vnetHead);
        buffer.putShort(vnetAt + 8, vnetTail);
        return sent;
    }

    @Override
    public boolean offloads()
    {
        return true;
    }

    /** The parent's socket is closed by whoever opened it (it may serve other networks). */
    @Override
    public void close()
    {
    }
}
