package io.berth.control.capture;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes pcapng (tcpdump, tshark and Wireshark read it): a section header, then one interface per capture stage,
 * named after it ("rx", "post-nat", ...), so the same packet before and after NAT shows on two interfaces; every
 * packet an enhanced packet block with a comment naming the stage and its ports. Flushed per packet, so a reader
 * of a pipe, or of the file after Ctrl-C, gets every packet written so far. One thread.
 */
public final class PcapngWriter implements AutoCloseable
{
    private static final int SHB = 0x0A0D0D0A;
    private static final int IDB = 0x00000001;
    private static final int EPB = 0x00000006;
    private static final int LINKTYPE_ETHERNET = 1;

    private final OutputStream out;
    private final int snaplen;
    private final Map<String, Integer> interfaces = new LinkedHashMap<>();
    private final ByteBuffer packetHeader = block(28);
    private final ByteBuffer packetTail = block(3 + 4 + 65535 + 3 + 4 + 4);

    /**
     * @param out where the blocks go; a packet is gathered in a buffer that holds a whole TSO frame and flushed as
     *            one write, so a captured 64 KiB frame costs one copy and no allocation.
     */
    public PcapngWriter(final OutputStream out, final int snaplen) throws IOException
    {
        this.out = new BufferedOutputStream(out, 1 << 18);
        this.snaplen = snaplen;
        final ByteBuffer b = block(28);
        b.putInt(SHB).putInt(28).putInt(0x1A2B3C4D).putShort((short)1).putShort((short)0).putLong(-1L).putInt(28);
        write(b);
    }

    /** One packet seen at {@code stage}; {@code epochNanos} its time, {@code length} its length on the wire. */
    public void packet(final String stage, final long epochNanos, final int length, final byte[] data,
        final String comment) throws IOException
    {
        final int id = interfaceOf(stage);
        final byte[] text = comment.getBytes(StandardCharsets.UTF_8);
        final int commentLength = Math.min(text.length, 65535);
        final int dataPadded = pad(data.length);
        final int options = 4 + pad(commentLength) + 4; // opt_comment, opt_endofopt
        final int total = 28 + dataPadded + options + 4;
        final long micros = epochNanos / 1000;
        packetHeader.clear();
        packetHeader.putInt(EPB).putInt(total).putInt(id).putInt((int)(micros >>> 32)).putInt((int)micros)
            .putInt(data.length).putInt(length);
        out.write(packetHeader.array(), 0, packetHeader.position());
        out.write(data);
        packetTail.clear();
        for (int i = data.length; i < dataPadded; i++)
        {
            packetTail.put((byte)0);
        }
        packetTail.putShort((short)1).putShort((short)commentLength).put(text, 0, commentLength);
        for (int i = commentLength; i < pad(commentLength); i++)
        {
            packetTail.put((byte)0);
        }
        packetTail.putInt(0).putInt(total);
        out.write(packetTail.array(), 0, packetTail.position());
        out.flush();
    }

    private int interfaceOf(final String stage) throws IOException
    {
        final Integer known = interfaces.get(stage);
        if (known != null)
        {
            return known;
        }
        final byte[] name = stage.getBytes(StandardCharsets.UTF_8);
        final int total = 16 + 4 + pad(name.length) + 4 + 4; // header, if_name, end of options, trailer
        final ByteBuffer b = block(total);
        b.putInt(IDB).putInt(total).putShort((short)LINKTYPE_ETHERNET).putShort((short)0).putInt(snaplen);
        b.putShort((short)2).putShort((short)name.length).put(name); // if_name
        b.position(b.position() + pad(name.length) - name.length);
        b.putInt(0).putInt(total);
        write(b);
        final int id = interfaces.size();
        interfaces.put(stage, id);
        return id;
    }

    private static int pad(final int n)
    {
        return (n + 3) & ~3;
    }

    private static ByteBuffer block(final int size)
    {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    private void write(final ByteBuffer b) throws IOException
    {
        out.write(b.array(), 0, b.capacity());
        out.flush();
    }

    @Override
    public void close() throws IOException
    {
        out.flush();
        out.close();
    }
}
