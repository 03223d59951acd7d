package io.berth.benchmarks;

import com.sun.management.ThreadMXBean;
import io.berth.dataplane.PacketPool;
import io.berth.tap.Natives;
import io.berth.tap.uring.BufferRing;
import io.berth.tap.uring.IoUring;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * What receiving a small frame from a TAP costs this thread: one {@code read} a frame (what ports do today) against
 * one multishot read armed once on a DEFER_TASKRUN io_uring, filling buffers from a provided-buffer ring (issue
 * 11's receive candidate). Each burst writes {@code BURST} ARP requests into a TAP whose namespace owns the asked-for
 * address, so as many ARP replies (60-byte frames) wait in the TAP's queue; then they are drained, and only the
 * drain is timed, on this thread's CPU clock:
 * <ul>
 * <li>read: {@code read} until it fails with EAGAIN, as the worker's receive does (the last, empty read included);</li>
 * <li>multishot: {@code io_uring_enter} (GETEVENTS, which runs the reads the kernel deferred) and reap until the
 * burst is in, every buffer given back to the ring as it is reaped.</li>
 * </ul>
 * Traffic stays inside a namespace made here (192.0.2.0/24). Needs root.
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.berth.benchmarks.TapReceiveRun [burstsPerRound] [rounds]
 * </pre>
 */
public final class TapReceiveRun
{
    private static final int BURST = 256;
    private static final int VNET = PacketPool.VNET_HDR_LEN;
    private static final int BUFFERS = 1024;
    private static final int BUFFER = 2048;
    private static final int GROUP = 1;
    private static final long ARMED = 1;
    private static final byte[] PEER_MAC = {2, 0, 0x5e, 0x10, 0, 9};

    private TapReceiveRun()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int bursts = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        final int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        TapInNamespace.run("btrcv", (fd, device, ns) ->
        {
            TapInNamespace.command("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
            TapInNamespace.command("ip", "-n", ns, "link", "set", "dev", device, "txqueuelen", "4096");
            TapInNamespace.command("ip", "-n", ns, "addr", "add", "192.0.2.1/24", "dev", device);
            measure(fd, bursts, rounds);
        });
    }

    /** Who-has 192.0.2.1, tell 192.0.2.9 (PEER_MAC), behind a zero virtio-net header. */
    private static void writeRequest(final UnsafeBuffer memory, final int at)
    {
        memory.setMemory(at, VNET + 42, (byte)0);
        final int e = at + VNET;
        for (int i = 0; i < 6; i++)
        {
            memory.putByte(e + i, (byte)0xff);
            memory.putByte(e + 6 + i, PEER_MAC[i]);
            memory.putByte(e + 22 + i, PEER_MAC[i]);
        }
        memory.putBytes(e + 12, new byte[] {8, 6, 0, 1, 8, 0, 6, 4, 0, 1});
        memory.putBytes(e + 28, new byte[] {(byte)192, 0, 2, 9});
        memory.putBytes(e + 38, new byte[] {(byte)192, 0, 2, 1});
    }

    private static void measure(final int fd, final int bursts, final int rounds) throws Exception
    {
        final UnsafeBuffer memory = new UnsafeBuffer(BufferUtil.allocateDirectAligned((BUFFERS + 1) * BUFFER, 4096));
        final int request = BUFFERS * BUFFER; // past the receive buffers
        writeRequest(memory, request);
        final ThreadMXBean threads = (ThreadMXBean)ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "%-44s %12s %12s %10s%n", "60-byte frames out of a TAP, " + BURST + " a burst",
            "cpu ns/frame", "wall ns/frame", "frames");
        try (IoUring ring = IoUring.open(64, 4096, IoUring.SETUP_DEFER_TASKRUN);
            BufferRing buffers = ring.registerBufferRing(GROUP, BUFFERS))
        {
            for (int id = 0; id < BUFFERS; id++)
            {
                buffers.add(memory.addressOffset() + (long)id * BUFFER, BUFFER, id);
            }
            buffers.publish();
            final Multishot shot = new Multishot(memory, buffers);
            for (int way = 0; way < 2; way++)
            {
                double bestCpu = Double.MAX_VALUE;
                double bestWall = Double.MAX_VALUE;
                long frames = 0;
                if (way == 1)
                {
                    arm(ring, fd);
                }
                for (int r = -1; r < rounds; r++) // round -1 warms up
                {
                    long cpu = 0;
                    long wall = 0;
                    long got = 0;
                    for (int b = 0; b < bursts; b++)
                    {
                        for (int i = 0; i < BURST; i++)
                        {
                            if (Natives.write(fd, memory.addressOffset() + request, VNET + 42) != VNET + 42)
                            {
                                throw new IllegalStateException("write of an ARP request failed");
                            }
                        }
                        final long cpu0 = threads.getCurrentThreadCpuTime();
                        final long t0 = System.nanoTime();
                        got += way == 0 ? drainByRead(fd, memory) : shot.drain(ring, fd, BURST);
                        wall += System.nanoTime() - t0;
                        cpu += threads.getCurrentThreadCpuTime() - cpu0;
                    }
                    if (r >= 0)
                    {
                        bestCpu = Math.min(bestCpu, cpu / (double)got);
                        bestWall = Math.min(bestWall, wall / (double)got);
                        frames += got;
                    }
                }
                System.out.printf(Locale.ROOT, "%-44s %12.0f %12.0f %10d%n", way == 0 ?
                    "read, one syscall a frame (+1 EAGAIN a burst)" : "multishot read, provided buffers", bestCpu,
                    bestWall, frames);
            }
            System.out.printf(Locale.ROOT, "multishot: %.1f io_uring_enter calls a burst of %d, %d errors, re-armed %d "
                + "times%n", shot.enters / (double)(bursts * (rounds + 1)), BURST, shot.errors, shot.rearmed);
        }
    }

    private static void arm(final IoUring ring, final int fd)
    {
        if (!ring.prepareReadMultishot(fd, GROUP, ARMED) || ring.submit() != 1)
        {
            throw new IllegalStateException("could not arm the multishot read");
        }
    }

    /** read() until EAGAIN; returns the frames read. */
    private static int drainByRead(final int fd, final UnsafeBuffer memory)
    {
        int frames = 0;
        for (;;)
        {
            final long n = Natives.read(fd, memory.addressOffset() + (long)(frames & (BUFFERS - 1)) * BUFFER, BUFFER);
            if (n <= 0)
            {
                return frames;
            }
            frames++;
        }
    }

    /** The multishot side: reaps completions, recycles their buffers, re-arms a read that ended. One thread. */
    private static final class Multishot implements IoUring.CompletionHandler
    {
        private final UnsafeBuffer memory;
        private final BufferRing buffers;
        private int frames;
        private boolean ended;
        long errors;
        long rearmed;
        long enters;

        Multishot(final UnsafeBuffer memory, final BufferRing buffers)
        {
            this.memory = memory;
            this.buffers = buffers;
        }

        int drain(final IoUring ring, final int fd, final int expected)
        {
            frames = 0;
            final long deadline = System.nanoTime() + 1_000_000_000L;
            while (frames < expected && System.nanoTime() < deadline)
            {
                if (ring.reap(this, Integer.MAX_VALUE) == 0)
                {
                    ring.submitAndWait(1);
                    enters++;
                }
                buffers.publish();
                if (ended)
                {
                    ended = false;
                    rearmed++;
                    arm(ring, fd);
                }
            }
            return frames;
        }

        @Override
        public void onCompletion(final long userData, final int result, final int flags)
        {
            if ((flags & IoUring.CQE_F_MORE) == 0)
            {
                ended = true;
            }
            if (result <= 0)
            {
                errors++;
                return;
            }
            frames++;
            final int id = flags >>> IoUring.CQE_BUFFER_SHIFT;
            buffers.add(memory.addressOffset() + (long)id * BUFFER, BUFFER, id);
        }
    }
}
