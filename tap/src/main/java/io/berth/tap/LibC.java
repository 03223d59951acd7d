package io.berth.tap;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls berth needs, bound through jnr-ffi. Stateless; any thread. Use it through {@link Natives},
 * which turns failures into precise exceptions or {@code -errno}.
 * <p>
 * Buffers are passed as raw {@code long} addresses (off-heap memory the caller owns), so a hot call marshals
 * nothing and allocates nothing. Calls whose failure reason matters save errno ({@link SaveError}): on the hot
 * path that is read/write/epoll_wait, where EAGAIN and EINTR are normal outcomes, not errors. Saving errno is a
 * thread-local store inside the jffi stub: {@code NativesCostTest} measured an EAGAIN read at ~314 ns with
 * {@code @SaveError} and ~317 ns with {@code @IgnoreError}, i.e. lost in the syscall's own cost, so the hot
 * calls keep errno rather than guess. Only {@code close}, whose failure nobody can act on, ignores it.
 */
public interface LibC
{
    @SaveError
    int open(String path, int flags);

    @IgnoreError
    int close(int fd);

    @SaveError
    @ssize_t long read(int fd, long address, @size_t long count);

    @SaveError
    @ssize_t long write(int fd, long address, @size_t long count);

    /** write from {@code iovcnt} struct iovec at native address {@code iov}. */
    @SaveError
    @ssize_t long writev(int fd, long iov, int iovcnt);

    /** ioctl whose argument is a pointer (struct ifreq, an int in direct memory). */
    @SaveError
    int ioctl(int fd, long request, Pointer arg);

    /** ioctl whose argument is passed by value (TUNSETPERSIST, TUNSETOFFLOAD). */
    @SaveError
    int ioctl(int fd, long request, long arg);

    @SaveError
    int fcntl(int fd, int cmd, int arg);

    /** splice(2) with no offsets (both ends are sockets or pipes). */
    @SaveError
    @ssize_t long splice(int fdIn, Pointer offIn, int fdOut, Pointer offOut, @size_t long len, int flags);

    @SaveError
    int pipe2(@Out int[] fds, int flags);

    @SaveError
    int epoll_create1(int flags);

    /** {@code event} is the address of a 12-byte packed struct epoll_event (x86_64). */
    @SaveError
    int epoll_ctl(int epfd, int op, int fd, long event);

    @SaveError
    int epoll_wait(int epfd, long eventsAddress, int maxEvents, int timeoutMs);

    @SaveError
    int eventfd(int initval, int flags);

    @SaveError
    int setns(int fd, int nstype);

    @SaveError
    int socket(int domain, int type, int protocol);

    /** {@code addr}: a struct sockaddr (sockaddr_ll for AF_PACKET) in direct memory. */
    @SaveError
    int bind(int fd, Pointer addr, int addrlen);

    @SaveError
    int setsockopt(int fd, int level, int optname, Pointer optval, int optlen);

    /** {@code optlen}: a socklen_t (int) in direct memory, in: room, out: bytes written. */
    @SaveError
    int getsockopt(int fd, int level, int optname, Pointer optval, Pointer optlen);

    /** 0 (errno ENODEV) when there is no such interface in the calling thread's namespace. */
    @SaveError
    int if_nametoindex(String ifname);

    /** Hot path on sockets: like read, but MSG_TRUNC makes a packet socket return the frame's real length. */
    @SaveError
    @ssize_t long recv(int fd, long address, @size_t long count, int flags);

    /** Hot path on packet sockets: {@code msg} is a struct msghdr in direct memory (iovec and control buffer too). */
    @SaveError
    @ssize_t long recvmsg(int fd, long msg, int flags);
}
