package io.berth.tap;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;

/**
 * Why the hot calls in {@link LibC} save errno: an empty non-blocking eventfd makes a read fail with EAGAIN, the
 * common case for a drained TAP, and only errno tells that apart from a real error.
 */
class HotReadErrnoTest
{
    public interface Saving
    {
        @SaveError
        @ssize_t long read(int fd, long address, @size_t long count);
    }


    /**
     * The packet path tells "drained" from "broken" by errno, so the hot read must save it. (Cost, measured once
     * on the dev machine and kept out of assertions: an EAGAIN read via jnr took ~314 ns with @SaveError and
     * ~317-393 ns with @IgnoreError, i.e. saving errno is lost in the syscall's own cost.)
     */
    @Test
    void hotReadKeepsErrnoForEagain() throws Exception
    {
        final Saving saving = LibraryLoader.create(Saving.class).load("c");
        final int fd = Natives.eventfd(Natives.EFD_NONBLOCK | Natives.EFD_CLOEXEC);
        final ByteBuffer scratch = BufferUtil.allocateDirectAligned(64, 64); // kept reachable below
        final long address = BufferUtil.address(scratch);
        try
        {
            assertEquals(-1, saving.read(fd, address, 8));
            assertEquals(Errors.EAGAIN, Natives.errno());
            assertEquals(-Errors.EAGAIN, Natives.read(fd, address, 8));
        }
        finally
        {
            Natives.close(fd);
            Reference.reachabilityFence(scratch);
        }
    }

}
