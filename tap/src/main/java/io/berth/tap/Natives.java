package io.berth.tap;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

import java.io.IOException;

/**
 * The thin wrapper over {@link LibC}: control-path calls throw an {@link IOException} naming the call, errno and
 * argument; hot-path calls ({@link #read}, {@link #write}, {@link #writev}, {@link #recv}, {@link #epollWait}) return {@code -errno} instead so the
 * packet path neither throws nor allocates. Stateless; any thread (errno is per thread).
 */
public final class Natives
{
    // fcntl.h, x86_64
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;     // 04000
    public static final int O_CLOEXEC = 0x80000;    // 02000000
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;

    // sys/epoll.h
    public static final int EPOLL_CLOEXEC = O_CLOEXEC;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x001;
    /** struct epoll_event is packed on x86_64: uint32_t events, then uint64_t data. */
    public static final int EPOLL_EVENT_SIZE = 12;
    public static final int EPOLL_EVENT_DATA_OFFSET = 4;

    // sys/eventfd.h
    public static final int EFD_NONBLOCK = O_NONBLOCK;
    public static final int EFD_CLOEXEC = O_CLOEXEC;

    // sched.h
    public static final int CLONE_NEWNET = 0x40000000;

    // sys/socket.h, bits/socket_type.h, asm-generic/socket.h (x86_64)
    public static final int AF_INET = 2;
    public static final int AF_PACKET = 17;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = O_NONBLOCK;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    public static final int SOL_SOCKET = 1;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    /** Like SO_SNDBUF/SO_RCVBUF but past net.core.[wr]mem_max; needs CAP_NET_ADMIN. */
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int MSG_TRUNC = 0x20;

    // linux/sockios.h: ioctls on any socket taking a struct ifreq
    public static final long SIOCGIFFLAGS = 0x8913;
    public static final long SIOCGIFMTU = 0x8921;
    public static final long SIOCGIFHWADDR = 0x8927;
    public static final long SIOCGIFINDEX = 0x8933;
    public static final long SIOCETHTOOL = 0x8946;

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Natives()
    {
    }

    /** The raw binding, for callers that know what they are doing. */
    public static LibC libc()
    {
        return LIBC;
    }

    /** errno of this thread's last {@code @SaveError} call. */
    public static int errno()
    {
        return RUNTIME.getLastError();
    }

    /** Zeroed direct memory for structs passed to ioctl; control path only. */
    public static Pointer allocateDirect(final int size)
    {
        final Pointer p = Memory.allocateDirect(RUNTIME, size);
        p.setMemory(0, size, (byte)0);
        return p;
    }

    public static int open(final String path, final int flags) throws IOException
    {
        final int fd = LIBC.open(path, flags);
        if (fd < 0)
        {
            throw Errors.exception("open", errno(), path);
        }
        return fd;
    }

    /** Closes quietly: there is nothing useful to do when close fails (the fd is gone either way on Linux). */
    public static void close(final int fd)
    {
        if (fd >= 0)
        {
            LIBC.close(fd);
        }
    }

    /** splice(2): move pages between a pipe and a socket without copying them to userspace. */
    public static final int SPLICE_F_MOVE = 1;
    public static final int SPLICE_F_NONBLOCK = 2;
    public static final int SPLICE_F_MORE = 4;
    /** fcntl: set a pipe's capacity (bytes, rounded up to pages; at most /proc/sys/fs/pipe-max-size unless root). */
    public static final int F_SETPIPE_SZ = 1031;

    /**
     * Hot path: bytes spliced from {@code fdIn} to {@code fdOut} (0 at the end of a socket's stream), or
     * {@code -errno} ({@code -EAGAIN} when the input is empty or the output full). Allocates nothing.
     */
    public static long splice(final int fdIn, final int fdOut, final long count, final int flags)
    {
        final long n = LIBC.splice(fdIn, null, fdOut, null, count, flags);
        return n >= 0 ? n : -errno();
    }

    /** A pipe, both ends non-blocking and close-on-exec: {read end, write end}. */
    public static int[] pipe(final String purpose) throws IOException
    {
        final int[] fds = new int[2];
        if (LIBC.pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
        {
            throw Errors.exception("pipe2", errno(), purpose);
        }
        return fds;
    }

    /** Hot path: bytes read, or {@code -errno} ({@code -EAGAIN} when nothing is waiting). Allocates nothing. */
    public static long read(final int fd, final long address, final long count)
    {
        final long n = LIBC.read(fd, address, count);
        return n >= 0 ? n : -errno();
    }

    /** Hot path: bytes written, or {@code -errno}. Allocates nothing. */
    public static long write(final int fd, final long address, final long count)
    {
        final long n = LIBC.write(fd, address, count);
        return n >= 0 ? n : -errno();
    }

    /** Hot path: bytes written from {@code count} iovecs at {@code iovecs}, or {@code -errno}. Allocates nothing. */
    public static long writev(final int fd, final long iovecs, final int count)
    {
        final long n = LIBC.writev(fd, iovecs, count);
        return n >= 0 ? n : -errno();
    }

    /** Hot path: ready events, or {@code -errno} ({@code -EINTR} when a signal arrived). Allocates nothing. */
    public static int epollWait(final int epfd, final long eventsAddress, final int maxEvents, final int timeoutMs)
    {
        final int n = LIBC.epoll_wait(epfd, eventsAddress, maxEvents, timeoutMs);
        return n >= 0 ? n : -errno();
    }

    /**
     * Hot path: bytes of the frame (with MSG_TRUNC on a packet socket: its full length, even when longer than
     * {@code count}), or {@code -errno}. Allocates nothing.
     */
    public static long recv(final int fd, final long address, final long count, final int flags)
    {
        final long n = LIBC.recv(fd, address, count, flags);
        return n >= 0 ? n : -errno();
    }

    /** Hot path: like {@link #recv}, through a struct msghdr at {@code msg} (for ancillary data). Allocates nothing. */
    public static long recvmsg(final int fd, final long msg, final int flags)
    {
        final long n = LIBC.recvmsg(fd, msg, flags);
        return n >= 0 ? n : -errno();
    }

    public static int socket(final int domain, final int type, final int protocol, final String argument)
        throws IOException
    {
        final int fd = LIBC.socket(domain, type, protocol);
        if (fd < 0)
        {
            throw Errors.exception("socket(" + domain + ", " + type + ", " + protocol + ")", errno(), argument);
        }
        return fd;
    }

    public static void bind(final int fd, final Pointer addr, final int addrlen, final String argument)
        throws IOException
    {
        if (LIBC.bind(fd, addr, addrlen) < 0)
        {
            throw Errors.exception("bind", errno(), argument);
        }
    }

    public static void setsockopt(final int fd, final int level, final int optname, final Pointer optval,
        final int optlen, final String optionName, final String argument) throws IOException
    {
        if (LIBC.setsockopt(fd, level, optname, optval, optlen) < 0)
        {
            throw Errors.exception("setsockopt(" + optionName + ")", errno(), argument);
        }
    }

    /** setsockopt with an {@code int} value. */
    public static void setsockopt(final int fd, final int level, final int optname, final int value,
        final String optionName, final String argument) throws IOException
    {
        final Pointer p = allocateDirect(Integer.BYTES);
        p.putInt(0, value);
        setsockopt(fd, level, optname, p, Integer.BYTES, optionName, argument);
    }

    /** getsockopt into {@code optval} ({@code size} bytes of room); returns the length the kernel wrote. */
    public static int getsockopt(final int fd, final int level, final int optname, final Pointer optval,
        final int size, final String optionName, final String argument) throws IOException
    {
        final Pointer len = allocateDirect(Integer.BYTES);
        len.putInt(0, size);
        if (LIBC.getsockopt(fd, level, optname, optval, len) < 0)
        {
            throw Errors.exception("getsockopt(" + optionName + ")", errno(), argument);
        }
        return len.getInt(0);
    }

    /** The interface's index in the calling thread's namespace; ENODEV in the exception when there is none. */
    public static int ifNameToIndex(final String ifname) throws IOException
    {
        final int index = LIBC.if_nametoindex(ifname);
        if (index <= 0)
        {
            final int e = errno();
            throw Errors.exception("if_nametoindex", e == 0 ? Errors.ENODEV : e, ifname);
        }
        return index;
    }

    public static int ioctl(final int fd, final long request, final Pointer arg, final String requestName,
        final String argument) throws IOException
    {
        final int rc = LIBC.ioctl(fd, request, arg);
        if (rc < 0)
        {
            throw Errors.exception("ioctl(" + requestName + ")", errno(), argument);
        }
        return rc;
    }

    public static int ioctl(final int fd, final long request, final long value, final String requestName,
        final String argument) throws IOException
    {
        final int rc = LIBC.ioctl(fd, request, value);
        if (rc < 0)
        {
            throw Errors.exception("ioctl(" + requestName + ")", errno(), argument);
        }
        return rc;
    }

    public static int fcntl(final int fd, final int cmd, final int arg, final String argument) throws IOException
    {
        final int rc = LIBC.fcntl(fd, cmd, arg);
        if (rc < 0)
        {
            throw Errors.exception("fcntl(" + cmd + ")", errno(), argument);
        }
        return rc;
    }

    public static int epollCreate() throws IOException
    {
        final int fd = LIBC.epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0)
        {
            throw Errors.exception("epoll_create1", errno(), "EPOLL_CLOEXEC");
        }
        return fd;
    }

    /** {@code eventAddress}: a struct epoll_event in memory the caller owns (ignored for EPOLL_CTL_DEL). */
    public static void epollCtl(final int epfd, final int op, final int fd, final long eventAddress)
        throws IOException
    {
        if (LIBC.epoll_ctl(epfd, op, fd, eventAddress) < 0)
        {
            throw Errors.exception("epoll_ctl(" + op + ")", errno(), "fd " + fd);
        }
    }

    public static int eventfd(final int flags) throws IOException
    {
        final int fd = LIBC.eventfd(0, flags);
        if (fd < 0)
        {
            throw Errors.exception("eventfd", errno(), "flags " + flags);
        }
        return fd;
    }

    public static void setns(final int fd, final int nstype, final String argument) throws IOException
    {
        if (LIBC.setns(fd, nstype) < 0)
        {
            throw Errors.exception("setns", errno(), argument);
        }
    }
}
