package io.berth.tap;

import io.berth.dataplane.PacketPool;
import jnr.ffi.Pointer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Opens and configures Linux TAP devices through /dev/net/tun. Static, stateless; any thread, control path only
 * (each call allocates a small struct in direct memory).
 * <p>
 * Every fd this class returns is non-blocking, close-on-exec, and speaks 10-byte virtio-net headers with checksum
 * and TSO offloads enabled, so the kernel hands over and accepts 64 KiB GSO super-frames with partial checksums
 * and never segments or checksums on our behalf.
 */
public final class TapDevice
{
    // linux/if_tun.h, x86_64 (_IOW('T', n, int) = 0x40045400 | n, _IOR = 0x80045400 | n)
    static final long TUNSETIFF = 0x400454caL;       // _IOW('T', 202, int)
    static final long TUNSETPERSIST = 0x400454cbL;   // _IOW('T', 203, int)
    static final long TUNSETOFFLOAD = 0x400454d0L;   // _IOW('T', 208, unsigned int)
    static final long TUNGETIFF = 0x800454d2L;       // _IOR('T', 210, unsigned int)
    static final long TUNSETVNETHDRSZ = 0x400454d8L; // _IOW('T', 216, int)

    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    /** Fail with EBUSY instead of attaching when a device of that name exists. */
    static final short IFF_TUN_EXCL = (short)0x8000;

    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;
    static final int TUN_F_TSO_ECN = 0x08;

    /** linux/if.h IFNAMSIZ, including the terminating NUL. */
    public static final int IFNAMSIZ = 16;
    /** sizeof(struct ifreq) on x86_64: the name, then a 24-byte union whose first member is short ifr_flags. */
    private static final int IFREQ_SIZE = 40;
    private static final int IFREQ_FLAGS_OFFSET = IFNAMSIZ;

    private static final String TUN_PATH = "/dev/net/tun";

    private TapDevice()
    {
    }

    /**
     * Creates the TAP device {@code name} in the calling thread's network namespace, or attaches to it when it
     * already exists (a persistent device kept across a berthd restart) and {@code attachExisting} is true.
     *
     * @param name           the device name (at most 15 bytes), a pattern such as {@code "bt%d"}, or null/empty
     *                       for a kernel-chosen {@code tapN}; learn the result with {@link #name(int)}.
     * @param attachExisting false: fail with EBUSY when the name is taken (IFF_TUN_EXCL).
     * @return the configured fd; the caller owns it.
     * @throws IOException naming the failed call, errno and device (EBUSY: exists or already attached; EPERM: not
     *                     allowed; EINVAL: an existing device of another type).
     */
    public static int open(final String name, final boolean attachExisting) throws IOException
    {
        final String label = name == null || name.isEmpty() ? "<kernel-chosen tap>" : name;
        final Pointer ifr = ifreq(name);
        short flags = (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
        if (!attachExisting)
        {
            flags |= IFF_TUN_EXCL;
        }
        ifr.putShort(IFREQ_FLAGS_OFFSET, flags);

        final int fd = Natives.open(TUN_PATH, Natives.O_RDWR | Natives.O_NONBLOCK | Natives.O_CLOEXEC);
        try
        {
            Natives.ioctl(fd, TUNSETIFF, ifr, "TUNSETIFF", label);
            final Pointer hdrLen = Natives.allocateDirect(Integer.BYTES);
            hdrLen.putInt(0, PacketPool.VNET_HDR_LEN); // struct virtio_net_hdr, no num_buffers
            Natives.ioctl(fd, TUNSETVNETHDRSZ, hdrLen, "TUNSETVNETHDRSZ", label);
            // TUNSETOFFLOAD takes its flags by value: what we accept from the kernel on read
            Natives.ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
                "TUNSETOFFLOAD", label);
            return fd;
        }
        catch (final IOException | RuntimeException e)
        {
            Natives.close(fd);
            throw e;
        }
    }

    /** The device's current name (it follows renames, e.g. after a move into a sandbox as "eth0"). */
    public static String name(final int fd) throws IOException
    {
        final Pointer ifr = Natives.allocateDirect(IFREQ_SIZE);
        Natives.ioctl(fd, TUNGETIFF, ifr, "TUNGETIFF", "fd " + fd);
        final byte[] bytes = new byte[IFNAMSIZ];
        ifr.get(0, bytes, 0, IFNAMSIZ);
        int length = 0;
        while (length < IFNAMSIZ && bytes[length] != 0)
        {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.US_ASCII);
    }

    /**
     * TUNSETPERSIST: a persistent device outlives its fd (and berthd); a non-persistent one disappears when the
     * last fd closes.
     */
    public static void setPersistent(final int fd, final boolean persistent) throws IOException
    {
        Natives.ioctl(fd, TUNSETPERSIST, persistent ? 1 : 0, "TUNSETPERSIST", "fd " + fd);
    }

    private static Pointer ifreq(final String name)
    {
        final Pointer ifr = Natives.allocateDirect(IFREQ_SIZE);
        if (name != null && !name.isEmpty())
        {
            final byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
            if (bytes.length >= IFNAMSIZ || name.indexOf('/') >= 0 || name.indexOf(' ') >= 0)
            {
                throw new IllegalArgumentException("bad interface name (max " + (IFNAMSIZ - 1) + " bytes, no '/' or ' '): " + name);
            }
            ifr.put(0, bytes, 0, bytes.length); // rest stays NUL
        }
        return ifr;
    }
}
