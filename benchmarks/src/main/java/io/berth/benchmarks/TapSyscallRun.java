package io.berth.benchmarks;

import com.sun.management.ThreadMXBean;
import io.berth.dataplane.PacketPool;
import io.berth.tap.Natives;
import io.berth.tap.uring.IoUring;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * What moving a small frame across the user/kernel line costs on this machine, one syscall a frame (what ports do
 * today: jnr {@code write}/{@code read}) against io_uring batches of B frames per io_uring_enter. The TAP lives in
 * a namespace of its own with no address, so the kernel takes each frame in and drops it (it is for a MAC that is
 * not the device's): the figure is the crossing plus tun's own work, nothing of the stack. Needs root.
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.berth.benchmarks.TapSyscallRun [framesPerRound] [rounds]
 * </pre>
 * Prints, per way of doing it, wall ns and CPU ns per frame (this thread's), best of the rounds.
 */
public final class TapSyscallRun
{
    private static final int FRAME = 64;
    private static final int VNET = PacketPool.VNET_HDR_LEN;
    private static final int SLOTS = 64;
    private static final int SLOT = 2048;

    private TapSyscallRun()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final long frames = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
        final int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        TapInNamespace.run("btsys", (fd, device, ns) -> measure(fd, frames, rounds));
    }

    private static void measure(final int fd, final long frames, final int rounds) throws Exception
    {
        final UnsafeBuffer memory = new UnsafeBuffer(BufferUtil.allocateDirectAligned(SLOTS * SLOT, 4096));
        for (int i = 0; i < SLOTS; i++)
        {
            final int at = i * SLOT;
            memory.setMemory(at, VNET + FRAME, (byte)0);
            // to 02:00:5e:00:00:99 (not the TAP's MAC) from 02:00:5e:00:00:98, an IPv4 ethertype, zero payload
            memory.putBytes(at + VNET, new byte[] {2, 0, 0x5e, 0, 0, (byte)0x99, 2, 0, 0x5e, 0, 0, (byte)0x98, 8, 0});
        }
        final ThreadMXBean threads = (ThreadMXBean)ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "%-34s %12s %12s%n", "64-byte frames into a TAP", "wall ns/frame", "cpu ns/frame");
        final String[] ways = {"write, one syscall a frame", "io_uring, 8 a submit", "io_uring, 32 a submit",
            "io_uring, 64 a submit", "read RWF_NOWAIT empty, per call", "io_uring read empty, 32 a submit"};
        try (IoUring ring = IoUring.open(64, 128))
        {
            final long[] errors = new long[1];
            final IoUring.CompletionHandler check = (userData, result, flags) ->
            {
                if (result < 0 && result != -11)
                {
                    errors[0]++;
                }
            };
            for (int w = 0; w < ways.length; w++)
            {
                double bestWall = Double.MAX_VALUE;
                double bestCpu = Double.MAX_VALUE;
                for (int r = -1; r < rounds; r++) // round -1 warms up
                {
                    final long cpu0 = threads.getCurrentThreadCpuTime();
                    final long t0 = System.nanoTime();
                    switch (w)
                    {
                        case 0 -> perCall(fd, memory, frames, false);
                        case 1 -> batched(ring, fd, memory, frames, 8, false, check);
                        case 2 -> batched(ring, fd, memory, frames, 32, false, check);
                        case 3 -> batched(ring, fd, memory, frames, 64, false, check);
                        case 4 -> perCall(fd, memory, frames, true);
                        default -> batched(ring, fd, memory, frames, 32, true, check);
                    }
                    final double wall = (System.nanoTime() - t0) / (double)frames;
                    final double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / (double)frames;
                    if (r >= 0)
                    {
                        bestWall = Math.min(bestWall, wall);
                        bestCpu = Math.min(bestCpu, cpu);
                    }
                }
                System.out.printf(Locale.ROOT, "%-34s %12.0f %12.0f%n", ways[w], bestWall, bestCpu);
            }
            if (errors[0] > 0)
            {
                System.out.println("errors: " + errors[0]);
            }
        }
    }

    private static void perCall(final int fd, final UnsafeBuffer memory, final long frames, final boolean read)
    {
        final long base = memory.addressOffset();
        for (long i = 0; i < frames; i++)
        {
            final long at = base + (i & (SLOTS - 1)) * SLOT;
            final long n = read ? Natives.read(fd, at, SLOT) : Natives.write(fd, at, VNET + FRAME);
            if (!read && n != VNET + FRAME)
            {
                throw new IllegalStateException("write: " + n);
            }
        }
    }

    private static void batched(final IoUring ring, final int fd, final UnsafeBuffer memory, final long frames,
        final int batch, final boolean read, final IoUring.CompletionHandler check)
    {
        final long base = memory.addressOffset();
        for (long i = 0; i < frames; i += batch)
        {
            for (int b = 0; b < batch; b++)
            {
                final long at = base + (long)b * SLOT;
                if (read)
                {
                    ring.prepareReadNow(fd, at, SLOT, b);
                }
                else
                {
                    ring.prepareWrite(fd, at, VNET + FRAME, b);
                }
            }
            ring.submitAndWait(batch);
            ring.reap(check, Integer.MAX_VALUE);
        }
    }
}
