package io.berth.tap;

import io.berth.dataplane.PacketPool;
import io.berth.tap.uring.BufferRing;
import io.berth.tap.uring.IoUring;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.Out;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Arrays;

/**
 * The io_uring layer against the real kernel: what one submit does, what comes back for a short read, an empty
 * non-blocking fd, a closed fd, more completions than the CQ holds, and reads still waiting when the ring closes;
 * multishot reads into provided-buffer rings (armed across reads, ended by an empty group, cancelled at close);
 * then a batch of reads and writes, and a multishot read, on a real TAP whose peer is the kernel's ARP. Needs root (skipped otherwise,
 * failed when CI=true). Traffic stays in 192.0.2.0/24 inside a namespace made here.
 */
class IoUringKernelTest
{
    private static final int EAGAIN = 11;
    private static final int EBADF = 9;
    private static final int ECANCELED = 125;
    private static final int ENOBUFS = 105;
    private static final byte[] PEER_MAC = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x09};
    private static final byte[] SANDBOX_IP = Frames.ip(192, 0, 2, 1);
    private static final byte[] PEER_IP = Frames.ip(192, 0, 2, 9);

    /** pipe2 for the tests' own fds; the layer under test never needs it. */
    public interface Pipes
    {
        int pipe2(@Out int[] fds, int flags);

        long write(int fd, byte[] data, long count);

        int close(int fd);
    }

    private static final Pipes PIPES = LibraryLoader.create(Pipes.class).load("c");

    private record Completion(long userData, int result)
    {
    }

    private final List<Completion> completions = new ArrayList<>();
    private final IoUring.CompletionHandler collect = (userData, result, flags) -> completions.add(new Completion(userData, result));
    private final UnsafeBuffer memory = new UnsafeBuffer(BufferUtil.allocateDirectAligned(1 << 20, 4096));
    private final List<Integer> fds = new ArrayList<>();
    private IoUring ring;
    private Kernel kernel;

    @BeforeEach
    void setUp() throws IOException
    {
        Kernel.requireRoot();
        ring = IoUring.open(16, 32);
    }

    @AfterEach
    void tearDown() throws IOException
    {
        if (ring != null)
        {
            ring.close();
        }
        for (final int fd : fds)
        {
            PIPES.close(fd);
        }
        if (kernel != null)
        {
            kernel.close();
        }
    }

    /** [read end, write end]; {@code nonBlocking} sets O_NONBLOCK on both. */
    private int[] pipe(final boolean nonBlocking)
    {
        final int[] p = new int[2];
        assertEquals(0, PIPES.pipe2(p, Natives.O_CLOEXEC | (nonBlocking ? Natives.O_NONBLOCK : 0)));
        fds.add(p[0]);
        fds.add(p[1]);
        return p;
    }

    private void reapAtLeast(final int count)
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (completions.size() < count && System.nanoTime() < deadline)
        {
            ring.reap(collect, Integer.MAX_VALUE);
            if (completions.size() < count)
            {
                ring.submitAndWait(1);
            }
        }
        assertTrue(completions.size() >= count, "completions: " + completions);
    }

    @Test
    void oneSubmitCarriesTheWholeBatchAndEveryCompletionKeepsItsUserData()
    {
        for (int i = 0; i < 8; i++)
        {
            assertTrue(ring.prepareNop(100 + i));
        }
        assertEquals(8, ring.unsubmitted());
        assertEquals(0, ring.ready(), "nothing runs before the submit");
        assertEquals(8, ring.submit());
        reapAtLeast(8);
        for (int i = 0; i < 8; i++)
        {
            assertEquals(new Completion(100 + i, 0), completions.get(i));
        }
        assertEquals(0, ring.inFlight());
    }

    @Test
    void aFullSubmissionQueueRefusesMoreUntilSubmitted()
    {
        final int entries = ring.submissionEntries();
        for (int i = 0; i < entries; i++)
        {
            assertTrue(ring.prepareNop(i));
        }
        assertFalse(ring.prepareNop(entries), "the SQ holds " + entries);
        assertEquals(entries, ring.submit());
        assertTrue(ring.prepareNop(entries), "space again once the kernel consumed the SQEs");
        ring.submit();
        reapAtLeast(entries + 1);
    }

    @Test
    void writesAndShortReadsMoveRealBytes()
    {
        final int[] p = pipe(true);
        final byte[] hello = "hello, ring".getBytes(StandardCharsets.US_ASCII);
        memory.putBytes(0, hello);
        assertTrue(ring.prepareWrite(p[1], memory.addressOffset(), hello.length, 1));
        ring.submit();
        reapAtLeast(1);
        assertEquals(new Completion(1, hello.length), completions.get(0));
        // ask for far more than is there: a short read returns what the pipe holds
        assertTrue(ring.prepareRead(p[0], memory.addressOffset() + 4096, 4096, 2));
        ring.submit();
        reapAtLeast(2);
        assertEquals(new Completion(2, hello.length), completions.get(1));
        final byte[] read = new byte[hello.length];
        memory.getBytes(4096, read);
        assertArrayEquals(hello, read);
    }

    @Test
    void aNowaitReadOfAnEmptyFdCompletesAtOnceWithEagain()
    {
        final int[] p = pipe(true);
        assertTrue(ring.prepareReadNow(p[0], memory.addressOffset(), 512, 7));
        ring.submit();
        reapAtLeast(1);
        assertEquals(new Completion(7, -EAGAIN), completions.get(0));
        assertEquals(0, ring.inFlight(), "nothing left waiting in the kernel");
    }

    @Test
    void aPlainReadOfAnEmptyFdWaitsForDataEvenWhenTheFdIsNonBlocking() throws Exception
    {
        final int[] p = pipe(true);
        assertTrue(ring.prepareRead(p[0], memory.addressOffset(), 512, 8));
        ring.submit();
        Thread.sleep(20);
        ring.reap(collect, Integer.MAX_VALUE);
        assertEquals(List.of(), completions, "io_uring parks the read instead of failing it");
        assertEquals(1, ring.inFlight());
        assertEquals(3, PIPES.write(p[1], new byte[] {1, 2, 3}, 3));
        reapAtLeast(1);
        assertEquals(new Completion(8, 3), completions.get(0), "and completes it when data comes");
    }

    @Test
    void aClosedFdCompletesWithEbadfAndTheRingGoesOn()
    {
        final int[] p = pipe(true);
        PIPES.close(p[0]);
        fds.remove(Integer.valueOf(p[0]));
        assertTrue(ring.prepareRead(p[0], memory.addressOffset(), 512, 3));
        assertTrue(ring.prepareNop(4));
        ring.submit();
        reapAtLeast(2);
        assertTrue(completions.contains(new Completion(3, -EBADF)), completions.toString());
        assertTrue(completions.contains(new Completion(4, 0)), completions.toString());
    }

    @Test
    void moreCompletionsThanTheCqHoldsAreKeptAndAllArrive()
    {
        final int total = ring.completionEntries() * 2 + 5;
        int submitted = 0;
        while (submitted < total)
        {
            // fill and submit without reaping: past the CQ's size the kernel keeps completions on its overflow list
            while (submitted < total && ring.prepareNop(submitted))
            {
                submitted++;
            }
            final int n = ring.submit();
            assertTrue(n >= 0 || n == -16, "submit: " + n); // EBUSY is the kernel asking us to reap first
            if (n < 0)
            {
                break;
            }
        }
        assertEquals(ring.completionEntries(), ring.ready(), "the CQ is full");
        reapAtLeast(submitted);
        assertEquals(submitted, completions.size());
        for (int i = 0; i < submitted; i++)
        {
            assertEquals(i, completions.get(i).userData(), "completions stay in order across the overflow");
        }
        assertEquals(0, ring.inFlight());
    }

    @Test
    void closeCancelsReadsStillWaitingAndReapsThemBeforeUnmapping()
    {
        final int[] p = pipe(false); // blocking: the kernel parks the reads on the pipe's wait queue
        for (int i = 0; i < 3; i++)
        {
            assertTrue(ring.prepareRead(p[0], memory.addressOffset() + 1024L * i, 512, 50 + i));
        }
        ring.submit();
        assertEquals(0, ring.ready(), "nothing to read: the reads wait");
        assertEquals(3, ring.inFlight());
        final long start = System.nanoTime();
        ring.close(collect);
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "close does not hang on waiting reads");
        for (int i = 0; i < 3; i++)
        {
            assertTrue(completions.contains(new Completion(50 + i, -ECANCELED)), completions.toString());
        }
        // and once closed the ring takes nothing more
        assertFalse(ring.prepareNop(1));
        assertEquals(0, ring.submit());
        // a write now lands in the pipe, not in memory the ring once named
        memory.putLong(0, 0L);
        assertEquals(8, PIPES.write(p[1], new byte[8], 8));
        assertEquals(0L, memory.getLong(0));
    }

    @Test
    void badSizesAreRefusedWithTheValidRange()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IoUring.open(0, 8));
        assertTrue(e.getMessage().contains("1..32768"), e.getMessage());
    }

    private byte[] sandboxMac;

    /** A TAP berth holds, whose kernel side is eth0 of a namespace made here (its MAC in {@link #sandboxMac}). */
    private TapPort tapAsEth0(final String prefix, final char device) throws Exception
    {
        Kernel.requireRootAndTun();
        kernel = new Kernel(prefix);
        final String ns = kernel.namespace();
        final String dev = kernel.device(Kernel.uniqueName(device));
        final TapPort port = TapPort.open(1, dev, false);
        kernel.onClose(port::close);
        sandboxMac = Kernel.plumbAsEth0(dev, ns);
        Kernel.awaitTransmitReady(ns, "eth0");
        return port;
    }

    @Test
    void aBatchOfWritesAndReadsOnARealTap() throws Exception
    {
        final TapPort port = tapAsEth0("bturg", 'u');
        final int vnet = PacketPool.VNET_HDR_LEN;
        // four ARP requests "who has 192.0.2.1" from a peer the kernel has not seen, written in one submit
        final byte[] request = Frames.arp(1, Frames.BROADCAST, PEER_MAC, PEER_MAC, PEER_IP, new byte[6], SANDBOX_IP);
        for (int i = 0; i < 4; i++)
        {
            final int at = 2048 * i;
            memory.setMemory(at, vnet, (byte)0);
            memory.putBytes(at + vnet, request);
            assertTrue(ring.prepareWrite(port.fd(), memory.addressOffset() + at, vnet + request.length, 10 + i));
        }
        assertEquals(4, ring.submit());
        reapAtLeast(4);
        for (int i = 0; i < 4; i++)
        {
            assertEquals(new Completion(10 + i, vnet + request.length), completions.get(i), "a whole frame each");
        }
        // the kernel answers each; read them back eight SQEs at a time until four replies are in
        final byte[] reply = Frames.arp(2, PEER_MAC, sandboxMac, sandboxMac, SANDBOX_IP, PEER_MAC, PEER_IP);
        final int receive = 65536 + 64;
        int replies = 0;
        int eagains = 0;
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (replies < 4 && System.nanoTime() < deadline)
        {
            completions.clear();
            for (int i = 0; i < 8; i++)
            {
                assertTrue(ring.prepareReadNow(port.fd(), memory.addressOffset() + 131072L + (long)receive * i, receive, i));
            }
            assertEquals(8, ring.submit());
            reapAtLeast(8);
            for (final Completion c : completions)
            {
                if (c.result() == -EAGAIN)
                {
                    eagains++;
                    continue;
                }
                assertTrue(c.result() > vnet, "a frame, got " + c.result());
                final byte[] frame = new byte[c.result() - vnet];
                memory.getBytes(131072 + receive * (int)c.userData() + vnet, frame);
                if (Frames.isArp(frame) && Arrays.equals(reply, Arrays.copyOf(frame, reply.length)))
                {
                    replies++;
                }
            }
            if (replies < 4)
            {
                Thread.sleep(2);
            }
        }
        assertEquals(4, replies, "one ARP reply per request");
        assertTrue(eagains > 0, "the reads past the last frame end with EAGAIN, not by waiting");
        assertEquals(0, ring.inFlight());
    }

    /** A completion with its flags, for multishot reads. */
    private record Shot(long userData, int result, int flags)
    {
        boolean more()
        {
            return (flags & IoUring.CQE_F_MORE) != 0;
        }

        int bufferId()
        {
            assertTrue((flags & IoUring.CQE_F_BUFFER) != 0, "a provided buffer: " + this);
            return flags >>> IoUring.CQE_BUFFER_SHIFT;
        }
    }

    private final List<Shot> shots = new ArrayList<>();
    private final IoUring.CompletionHandler collectShots = (userData, result, flags) ->
        shots.add(new Shot(userData, result, flags));

    private void reapShots(final int count)
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (shots.size() < count && System.nanoTime() < deadline)
        {
            if (ring.reap(collectShots, Integer.MAX_VALUE) == 0)
            {
                ring.submitAndWait(1);
            }
        }
        assertTrue(shots.size() >= count, "completions: " + shots);
    }

    /** Buffer {@code id} of a group laid out at {@code 2048 * id} in {@link #memory}. */
    private long bufferAddress(final int id)
    {
        return memory.addressOffset() + 2048L * id;
    }

    private BufferRing provide(final int group, final int buffers, final int length) throws IOException
    {
        final BufferRing buffersRing = ring.registerBufferRing(group, Integer.highestOneBit(buffers * 2 - 1));
        for (int id = 0; id < buffers; id++)
        {
            buffersRing.add(bufferAddress(id), length, id);
        }
        buffersRing.publish();
        return buffersRing;
    }

    private String text(final Shot shot)
    {
        final byte[] bytes = new byte[shot.result()];
        memory.getBytes(2048 * shot.bufferId(), bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    @Test
    void aMultishotReadStaysArmedAndFillsAProvidedBufferPerRead() throws IOException
    {
        final int[] p = pipe(true);
        try (BufferRing buffers = provide(1, 4, 64))
        {
            assertTrue(ring.prepareReadMultishot(p[0], buffers.group(), 77));
            assertEquals(1, ring.submit());
            assertEquals(0, ring.ready(), "nothing to read yet: armed, no completion");
            final List<Integer> ids = new ArrayList<>();
            for (final String word : List.of("a", "bb", "ccc"))
            {
                assertEquals(word.length(), PIPES.write(p[1], word.getBytes(StandardCharsets.US_ASCII), word.length()));
                reapShots(shots.size() + 1);
                final Shot shot = shots.get(shots.size() - 1);
                assertEquals(77, shot.userData());
                assertTrue(shot.more(), "still armed: " + shot);
                assertEquals(word, text(shot));
                ids.add(shot.bufferId());
                assertEquals(1, ring.inFlight(), "one request, however many completions");
            }
            assertEquals(3, ids.stream().distinct().count(), "each read took its own buffer: " + ids);
            ring.close(collectShots); // cancels the armed read before the group goes
            final Shot last = shots.get(shots.size() - 1);
            assertEquals(-ECANCELED, last.result());
            assertFalse(last.more(), "a cancelled multishot read ends");
        }
    }

    @Test
    void anEmptyGroupEndsTheMultishotReadWithEnobufsAndReArmingResumes() throws IOException
    {
        final int[] p = pipe(true);
        try (BufferRing buffers = provide(2, 2, 64))
        {
            assertTrue(ring.prepareReadMultishot(p[0], buffers.group(), 5));
            ring.submit();
            for (final String word : List.of("one", "two"))
            {
                PIPES.write(p[1], word.getBytes(StandardCharsets.US_ASCII), word.length());
                reapShots(shots.size() + 1);
            }
            assertEquals(List.of("one", "two"), List.of(text(shots.get(0)), text(shots.get(1))));
            PIPES.write(p[1], "three".getBytes(StandardCharsets.US_ASCII), 5);
            reapShots(3);
            assertEquals(-ENOBUFS, shots.get(2).result(), shots.toString());
            assertFalse(shots.get(2).more(), "no buffer left: the read ends");
            assertEquals(0, ring.inFlight());
            // the consumer gives both buffers back and arms it again; what waited in the pipe arrives
            buffers.add(bufferAddress(shots.get(0).bufferId()), 64, shots.get(0).bufferId());
            buffers.add(bufferAddress(shots.get(1).bufferId()), 64, shots.get(1).bufferId());
            buffers.publish();
            assertTrue(ring.prepareReadMultishot(p[0], buffers.group(), 6));
            ring.submit();
            reapShots(4);
            assertEquals(6, shots.get(3).userData());
            assertEquals("three", text(shots.get(3)));
            assertTrue(shots.get(3).more());
        }
    }

    @Test
    void badBufferRingsAreRefusedWithTheValidRangeOrTheKernelsErrno() throws IOException
    {
        final IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
            () -> ring.registerBufferRing(1, 3));
        assertTrue(size.getMessage().contains("power of two of 1..32768") && size.getMessage().contains("3"),
            size.getMessage());
        try (BufferRing taken = ring.registerBufferRing(9, 4))
        {
            final IOException twice = assertThrows(IOException.class, () -> ring.registerBufferRing(9, 4));
            assertTrue(twice.getMessage().contains("group 9") && twice.getMessage().contains("EEXIST"),
                twice.getMessage());
        }
        // unregistered on close: the group can be registered again
        ring.registerBufferRing(9, 4).close();
    }

    @Test
    void aMultishotReadOnARealTapGivesOneFramePerBuffer() throws Exception
    {
        final TapPort port = tapAsEth0("bturm", 'm');
        final int vnet = PacketPool.VNET_HDR_LEN;
        try (BufferRing buffers = provide(3, 8, 2048))
        {
            assertTrue(ring.prepareReadMultishot(port.fd(), buffers.group(), 42));
            ring.submit();
            final byte[] request = Frames.arp(1, Frames.BROADCAST, PEER_MAC, PEER_MAC, PEER_IP, new byte[6], SANDBOX_IP);
            final int out = 2048 * 16; // past the provided buffers
            memory.setMemory(out, vnet, (byte)0);
            memory.putBytes(out + vnet, request);
            for (int i = 0; i < 4; i++)
            {
                assertTrue(ring.prepareWrite(port.fd(), memory.addressOffset() + out, vnet + request.length, 10 + i));
            }
            ring.submit();
            // the kernel answers each request; the armed read delivers every frame (replies, and whatever else
            // the namespace sends, such as IPv6 router solicitations) in a buffer of its own
            final byte[] reply = Frames.arp(2, PEER_MAC, sandboxMac, sandboxMac, SANDBOX_IP, PEER_MAC, PEER_IP);
            int replies = 0;
            final List<Integer> ids = new ArrayList<>();
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (replies < 4 && System.nanoTime() < deadline)
            {
                shots.clear();
                ring.reap(collectShots, Integer.MAX_VALUE);
                if (shots.isEmpty())
                {
                    ring.submitAndWait(1);
                }
                for (final Shot shot : shots)
                {
                    if (shot.userData() != 42)
                    {
                        assertTrue(shot.result() == vnet + request.length, "a whole frame written: " + shot);
                        continue;
                    }
                    assertTrue(shot.more(), "armed across frames: " + shot);
                    assertTrue(shot.result() > vnet, "a frame: " + shot);
                    final int id = shot.bufferId();
                    ids.add(id);
                    final byte[] frame = new byte[shot.result() - vnet];
                    memory.getBytes(2048 * id + vnet, frame);
                    if (Arrays.equals(reply, Arrays.copyOf(frame, reply.length)))
                    {
                        replies++;
                    }
                    buffers.add(bufferAddress(id), 2048, id); // recycled at once, as a consumer would
                    buffers.publish();
                }
            }
            assertEquals(4, replies, "one ARP reply per request, frames " + ids);
            ring.close(collectShots);
        }
    }
}
