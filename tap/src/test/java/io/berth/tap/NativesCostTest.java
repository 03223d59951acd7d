package io.berth.tap;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Measures what {@link SaveError} costs over {@link IgnoreError} on the hot read: an empty non-blocking eventfd
 * makes every read a real syscall that fails with EAGAIN, the common case for a drained TAP. Not a benchmark
 * (no forks, short runs); it prints the figures and only checks that saving errno stays a small fraction of the
 * syscall, which is why the hot calls in {@link LibC} save it (EAGAIN must be told apart from real errors).
 */
class NativesCostTest
{
    public interface Saving
    {
        @SaveError
        @ssize_t long read(int fd, long address, @size_t long count);
    }

    public interface Ignoring
    {
        @IgnoreError
        @ssize_t long read(int fd, long address, @size_t long count);
    }

    @Test
    void savingErrnoIsCheapNextToTheSyscall() throws Exception
    {
        final Saving saving = LibraryLoader.create(Saving.class).load("c");
        final Ignoring ignoring = LibraryLoader.create(Ignoring.class).load("c");
        final int fd = Natives.eventfd(Natives.EFD_NONBLOCK | Natives.EFD_CLOEXEC);
        final java.nio.ByteBuffer scratch = BufferUtil.allocateDirectAligned(64, 64); // kept reachable below
        final long address = BufferUtil.address(scratch);
        try
        {
            assertEquals(-1, saving.read(fd, address, 8));
            assertEquals(Errors.EAGAIN, Natives.errno());
            double save = Double.MAX_VALUE;
            double ignore = Double.MAX_VALUE;
            for (int round = 0; round < 5; round++)
            {
                save = Math.min(save, time(() -> saving.read(fd, address, 8)));
                ignore = Math.min(ignore, time(() -> ignoring.read(fd, address, 8)));
            }
            System.out.printf("read(EAGAIN) via jnr: @SaveError %.1f ns, @IgnoreError %.1f ns%n", save, ignore);
            assertTrue(save < ignore * 2, "saving errno should not double the cost of a syscall");
        }
        finally
        {
            Natives.close(fd);
            java.lang.ref.Reference.reachabilityFence(scratch);
        }
    }

    private static double time(final Runnable call)
    {
        final int n = 200_000;
        final long start = System.nanoTime();
        for (int i = 0; i < n; i++)
        {
            call.run();
        }
        return (System.nanoTime() - start) / (double)n;
    }
}
