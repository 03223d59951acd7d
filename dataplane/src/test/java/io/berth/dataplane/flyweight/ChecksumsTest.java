package io.berth.dataplane.flyweight;

import io.berth.dataplane.Frames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChecksumsTest
{
    private static final int[] WORDS = {1, 2, 3, 4, 6, 7, 8, 9};

    /** RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (after the carries), checksum 220d. */
    @Test
    void rfc1071Example()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Frames.hex("00 01 f2 03 f4 f5 f6 f7"));
        assertEquals(0xF4F7_E8FAL, Checksums.sum(buffer, 0, 8, 0)); // 0001f203 + f4f5f6f7, summed as 32-bit words
        assertEquals(0xDDF2, Checksums.fold(Checksums.sum(buffer, 0, 8, 0)));
        assertEquals(0x220D, Checksums.internet(buffer, 0, 8, 0));
    }

    @Test
    void oddLengthPadsWithAZeroByte()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Frames.hex("00 01 f2 03 f4 f5 f6 f7 ab cd"));
        // 7 bytes: the last byte f7 counts as f700
        assertEquals(Frames.checksum(Frames.hex("00 01 f2 03 f4 f5 f6"), 0, 7, 0), Checksums.internet(buffer, 0, 7, 0));
        assertEquals(~Checksums.fold(0x0001L + 0xF203 + 0xF4F5 + 0xF600) & 0xFFFF, Checksums.internet(buffer, 0, 7, 0));
        // 1..3 bytes: no 32-bit word at all
        assertEquals(~0x0000 & 0xFFFF, Checksums.internet(buffer, 0, 0, 0));
        assertEquals(~0x0000 & 0xFFFF, Checksums.internet(buffer, 0, 1, 0));
        assertEquals(~0x0001 & 0xFFFF, Checksums.internet(buffer, 0, 2, 0));
        assertEquals(~0xF201 & 0xFFFF, Checksums.internet(buffer, 0, 3, 0));
    }

    @Test
    void initialSumIsAdded()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Frames.hex("12 34"));
        assertEquals(~(0x1234 + 0x0100) & 0xFFFF, Checksums.internet(buffer, 0, 2, 0x0100));
        assertEquals(~Checksums.fold(0x1234L + 0xFFFF) & 0xFFFF, Checksums.internet(buffer, 0, 2, 0xFFFF));
    }

    @Test
    void foldCarriesUntilSixteenBits()
    {
        assertEquals(0, Checksums.fold(0));
        assertEquals(0xFFFF, Checksums.fold(0xFFFF));
        assertEquals(0x0001, Checksums.fold(0x1_0000L));
        assertEquals(0xFFFF, Checksums.fold(0xFFFE_0001L)); // fffe + 0001
        assertEquals(0xFFFF, Checksums.fold(0xFFFF_FFFFL + 0xFFFF_FFFFL)); // 1_fffffffe: two rounds of carries
    }

    @Test
    void matchesTheReferenceOnRandomData()
    {
        final Random random = new Random(1071);
        final byte[] bytes = new byte[2048];
        for (int i = 0; i < 2_000; i++)
        {
            random.nextBytes(bytes);
            final int offset = random.nextInt(16);
            final int length = random.nextInt(bytes.length - offset);
            final int initial = random.nextInt(0x1_0000);
            assertEquals(Frames.checksum(bytes, offset, length, initial),
                Checksums.internet(new UnsafeBuffer(bytes), offset, length, initial), "offset " + offset + " length " + length);
        }
    }

    /** RFC 1624: updating one 16-bit word equals recomputing the checksum over the edited header. */
    @Test
    void update16EqualsAFullRecompute()
    {
        final Random random = new Random(1624);
        final UnsafeBuffer header = new UnsafeBuffer(new byte[20]);
        for (int round = 0; round < 2_000; round++)
        {
            randomHeader(random, header);
            int checksum = Checksums.internet(header, 0, 20, 0);
            for (int edit = 0; edit < 20; edit++)
            {
                // word 0 keeps 0x45..: the header never sums to zero; word 5 is the checksum field, kept at zero
                final int word = WORDS[random.nextInt(WORDS.length)];
                final int offset = word * 2;
                final int oldValue = header.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                final int newValue = edgeOrRandom16(random);
                header.putShort(offset, (short)newValue, ByteOrder.BIG_ENDIAN);
                checksum = Checksums.update16(checksum, oldValue, newValue);
                assertEquals(Checksums.internet(header, 0, 20, 0), checksum,
                    "round " + round + " edit " + edit + ": word " + word + " " + oldValue + " -> " + newValue);
            }
        }
    }

    @Test
    void update32EqualsAFullRecompute()
    {
        final Random random = new Random(791);
        final UnsafeBuffer header = new UnsafeBuffer(new byte[20]);
        for (int round = 0; round < 2_000; round++)
        {
            randomHeader(random, header);
            int checksum = Checksums.internet(header, 0, 20, 0);
            for (int edit = 0; edit < 20; edit++)
            {
                final int offset = random.nextBoolean() ? 12 : 16; // source or destination address
                final int oldValue = header.getInt(offset, ByteOrder.BIG_ENDIAN);
                final int newValue = random.nextInt(8) == 0 ? (random.nextBoolean() ? 0 : -1) : random.nextInt();
                header.putInt(offset, newValue, ByteOrder.BIG_ENDIAN);
                checksum = Checksums.update32(checksum, oldValue, newValue);
                assertEquals(Checksums.internet(header, 0, 20, 0), checksum,
                    "round " + round + " edit " + edit + ": " + Integer.toHexString(oldValue) + " -> " + Integer.toHexString(newValue));
            }
        }
    }

    /** After an incremental update, the header still verifies (sums to zero). */
    @Test
    void updatedHeaderVerifies()
    {
        final UnsafeBuffer header = new UnsafeBuffer(Frames.hex("45 00 00 24 00 00 40 00 40 01 e2 b3 ac 11 00 02 ac 11 00 01"));
        header.putInt(12, 0x0A00_0001, ByteOrder.BIG_ENDIAN); // SNAT-style rewrite of the source
        header.putShort(10, (short)Checksums.update32(0xE2B3, 0xAC11_0002, 0x0A00_0001), ByteOrder.BIG_ENDIAN);
        assertEquals(0, Checksums.internet(header, 0, 20, 0));
        final int ttlWord = header.getShort(8, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        header.putByte(8, (byte)63); // decrement TTL
        final int old = header.getShort(10, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        header.putShort(10, (short)Checksums.update16(old, ttlWord, header.getShort(8, ByteOrder.BIG_ENDIAN) & 0xFFFF), ByteOrder.BIG_ENDIAN);
        assertEquals(0, Checksums.internet(header, 0, 20, 0));
    }

    private static void randomHeader(final Random random, final UnsafeBuffer header)
    {
        for (int i = 0; i < 20; i++)
        {
            header.putByte(i, (byte)random.nextInt());
        }
        header.putByte(0, (byte)0x45);
        header.putShort(10, (short)0, ByteOrder.BIG_ENDIAN);
    }

    private static int edgeOrRandom16(final Random random)
    {
        switch (random.nextInt(8))
        {
            case 0: return 0;
            case 1: return 0xFFFF;
            case 2: return 0x0001;
            case 3: return 0xFFFE;
            default: return random.nextInt(0x1_0000);
        }
    }
}
