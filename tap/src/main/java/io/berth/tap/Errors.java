package io.berth.tap;

import java.io.IOException;

/**
 * errno numbers (x86_64 Linux, asm-generic/errno-base.h and errno.h) and the exceptions built from them.
 * Stateless; any thread.
 */
public final class Errors
{
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int ENOSPC = 28;
    public static final int EPIPE = 32;
    public static final int ENOSYS = 38;
    public static final int EMSGSIZE = 90;
    public static final int EOPNOTSUPP = 95;
    public static final int ENOBUFS = 105;
    public static final int EBADFD = 77;
    public static final int ENXIO = 6;
    public static final int ENOPROTOOPT = 92;
    public static final int EAFNOSUPPORT = 97;
    public static final int ENETDOWN = 100;

    private static final String[] NAMES = new String[134];

    static
    {
        name(EPERM, "EPERM");
        name(ENOENT, "ENOENT");
        name(EINTR, "EINTR");
        name(EIO, "EIO");
        name(EBADF, "EBADF");
        name(EAGAIN, "EAGAIN");
        name(ENOMEM, "ENOMEM");
        name(EACCES, "EACCES");
        name(EFAULT, "EFAULT");
        name(EBUSY, "EBUSY");
        name(EEXIST, "EEXIST");
        name(ENODEV, "ENODEV");
        name(EINVAL, "EINVAL");
        name(ENFILE, "ENFILE");
        name(EMFILE, "EMFILE");
        name(ENOTTY, "ENOTTY");
        name(ENOSPC, "ENOSPC");
        name(EPIPE, "EPIPE");
        name(ENOSYS, "ENOSYS");
        name(EBADFD, "EBADFD");
        name(EMSGSIZE, "EMSGSIZE");
        name(EOPNOTSUPP, "EOPNOTSUPP");
        name(ENOBUFS, "ENOBUFS");
        name(ENXIO, "ENXIO");
        name(ENOPROTOOPT, "ENOPROTOOPT");
        name(EAFNOSUPPORT, "EAFNOSUPPORT");
        name(ENETDOWN, "ENETDOWN");
    }

    private Errors()
    {
    }

    private static void name(final int errno, final String name)
    {
        NAMES[errno] = name;
    }

    /** "EAGAIN" for 11; "errno 200" for numbers without a name here. */
    public static String name(final int errno)
    {
        final int e = Math.abs(errno);
        return e < NAMES.length && NAMES[e] != null ? NAMES[e] : "errno " + e;
    }

    /** E.g. {@code ioctl(TUNSETIFF) failed for tap0: EBUSY (16)}. */
    public static IOException exception(final String call, final int errno, final String argument)
    {
        final int e = Math.abs(errno);
        return new NativeIOException(call + " failed for " + argument + ": " + name(e) + " (" + e + ")", call, e);
    }

    /** An {@link IOException} that keeps the failed call and errno for callers that branch on them. */
    public static final class NativeIOException extends IOException
    {
        private static final long serialVersionUID = 1L;
        private final String call;
        private final int errno;

        public NativeIOException(final String message, final String call, final int errno)
        {
            super(message);
            this.call = call;
            this.errno = errno;
        }

        public String call()
        {
            return call;
        }

        public int errno()
        {
            return errno;
        }
    }
}
