package io.berth.control.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The blocks as the pcapng spec lays them out, padding zeroed, for packets of every length mod 4. */
class PcapngWriterTest
{
    @Test
    void everyBlockIsWhereItsLengthsSayWithZeroPadding() throws Exception
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int[] lengths = {65_000, 61, 62, 63, 64, 65_536};
        try (PcapngWriter w = new PcapngWriter(out, 262144))
        {
            for (int i = 0; i < lengths.length; i++)
            {
                final byte[] data = new byte[lengths[i]];
                Arrays.fill(data, (byte)0x5A);
                w.packet(i % 2 == 0 ? "tx" : "rx", 1_700_000_000_123_456_000L, lengths[i] + 10, data,
                    "stage=" + (i % 2 == 0 ? "tx" : "rx") + " in=c" + "x".repeat(i));
            }
        }
        final ByteBuffer b = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.nativeOrder());
        int packets = 0;
        int interfaces = 0;
        while (b.hasRemaining())
        {
            final int start = b.position();
            final int type = b.getInt();
            final int total = b.getInt();
            assertEquals(0, total % 4, "block lengths are multiples of 4");
            assertEquals(total, b.getInt(start + total - 4), "the trailing length repeats the leading one");
            if (type == 1)
            {
                interfaces++;
            }
            if (type == 6)
            {
                final int id = b.getInt(start + 8);
                assertEquals(packets % 2 == 0 ? 0 : 1, id, "each stage its own interface");
                assertEquals(1_700_000_000_123_456L, ((long)b.getInt(start + 12) << 32) | (b.getInt(start + 16) & 0xFFFFFFFFL));
                final int captured = b.getInt(start + 20);
                assertEquals(lengths[packets], captured);
                assertEquals(captured + 10, b.getInt(start + 24));
                final byte[] data = new byte[captured];
                b.get(start + 28, data);
                final byte[] expected = new byte[captured];
                Arrays.fill(expected, (byte)0x5A);
                assertArrayEquals(expected, data);
                final int padded = (captured + 3) & ~3;
                for (int i = captured; i < padded; i++)
                {
                    assertEquals(0, b.get(start + 28 + i), "data padding is zero");
                }
                final int option = start + 28 + padded;
                assertEquals(1, b.getShort(option), "opt_comment");
                final int commentLength = b.getShort(option + 2);
                final byte[] comment = new byte[commentLength];
                b.get(option + 4, comment);
                assertEquals("stage=" + (packets % 2 == 0 ? "tx" : "rx") + " in=c" + "x".repeat(packets),
                    new String(comment, StandardCharsets.UTF_8));
                for (int i = commentLength; i < ((commentLength + 3) & ~3); i++)
                {
                    assertEquals(0, b.get(option + 4 + i), "comment padding is zero");
                }
                assertEquals(0, b.getInt(option + 4 + ((commentLength + 3) & ~3)), "opt_endofopt");
                packets++;
            }
            b.position(start + total);
        }
        assertEquals(lengths.length, packets);
        assertEquals(2, interfaces);
    }
}
