package io.berth.control.dataplane;

import io.berth.tap.Errors;
import io.berth.tap.Natives;

import java.io.IOException;

/**
 * The one way for control code outside this package to move bytes with splice(2) (the 127.0.0.1 proxy): pipes and
 * splices through the native layer, non-blocking, with pages moved rather than copied. Any thread; the hot calls
 * allocate nothing.
 */
public final class Splicing
{
    private static final int FLAGS = Natives.SPLICE_F_MOVE | Natives.SPLICE_F_NONBLOCK;

    private Splicing()
    {
    }

    /** A non-blocking pipe: {read end, write end}. */
    public static int[] pipe(final String purpose) throws IOException
    {
        return Natives.pipe(purpose);
    }

    /** Asks for a pipe of {@code bytes}; returns the capacity it got (the default 64 KiB when refused). */
    public static int resize(final int writeEnd, final int bytes)
    {
        try
        {
            return Natives.fcntl(writeEnd, Natives.F_SETPIPE_SZ, bytes, "pipe size");
        }
        catch (final IOException ex)
        {
            return 64 * 1024;
        }
    }

    /** Bytes moved from {@code in} to {@code out} (0: the socket's end), or -errno. */
    public static long splice(final int in, final int out, final long count)
    {
        return Natives.splice(in, out, count, FLAGS);
    }

    /** Whether a -errno result means "not now" (nothing to read, no room to write). */
    public static boolean isAgain(final long result)
    {
        return result == -Errors.EAGAIN;
    }

    public static void close(final int fd)
    {
        Natives.close(fd);
    }
}
