package io.berth.tap;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import jnr.ffi.Pointer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A {@link Port} over an existing Ethernet interface (the uplink: a NIC, or a veth end in berthd's namespace that
 * holds no kernel address), driven with an AF_PACKET raw socket that speaks the same 10-byte virtio-net header as a
 * {@link TapPort}: the kernel hands over GRO/GSO super-frames with partial checksums and segments and checksums the
 * GSO frames we send (in hardware where the NIC can, in software otherwise), so TCP through the uplink moves 64 KiB
 * per syscall just as it does through a container's TAP.
 * <p>
 * The socket is {@code socket(AF_PACKET, SOCK_RAW|SOCK_NONBLOCK|SOCK_CLOEXEC, 0)}, then PACKET_VNET_HDR,
 * PACKET_IGNORE_OUTGOING (our own transmissions are not read back), optionally PACKET_QDISC_BYPASS, 4 MiB socket
 * buffers, {@code bind(sockaddr_ll{ETH_P_ALL, ifindex})} (created with protocol 0 so nothing from other interfaces
 * is queued before the bind), and PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC: berthd answers for addresses the kernel
 * does not know (the uplink address, published ports) and a NIC would otherwise filter frames for other MACs. The
 * membership, and with it promiscuous mode, goes when the socket closes.
 * <p>
 * Receive is one {@code recv(MSG_TRUNC)} per frame straight into the pool slot ([virtio_net_hdr | frame], exactly
 * like TapPort); MSG_TRUNC reports frames longer than a slot (BIG TCP GRO beyond 64 KiB) so they are counted and
 * dropped rather than delivered cut short. A frame whose offload state the virtio header cannot describe makes the
 * kernel fail that recv with EINVAL after dequeuing it: counted, and reading goes on. Transmit is one {@code write}
 * of [virtio_net_hdr | frame] from {@link PacketPool#vnetOffset}.
 * <p>
 * Why not a PACKET_MMAP ring (yet): a TPACKET_V3 rx ring reads a block of frames per wakeup instead of one syscall
 * per frame. The usual objection, that ring frames lose the virtio-net header, does not hold on current kernels
 * ({@code tpacket_rcv} writes it in front of the frame for every ring version when PACKET_VNET_HDR is set before the
 * ring), but a ring has costs of its own here: frames land in ring memory, not in pool slots, so each needs a second
 * copy (up to 64 KiB for a GRO super-frame) into the pool, and ring slots must be sized for 64 KiB frames or the
 * kernel truncates them and drops their header. With plain recv, one syscall moves up to 64 KiB straight into the
 * slot. Measured by AfPacketKernelTest on the dev VM (kernel 6.18, through jnr): ~3.3 us per frame draining a queue
 * of 42-byte frames, ~5-6 us per ARP write + read-back cycle. That caps the uplink near 300 k small frames/s per
 * worker, but bulk TCP moves up to 64 KiB per recv, so ~3 us per super-frame is not the limit there. Decision: plain
 * recv now; a ring (perhaps mapped as the pool itself, to save the copy) is the next step if small-packet rates on
 * the uplink matter.
 * <p>
 * {@link #receive} and {@link #transmit} run on the owning worker thread only; {@link #close} on the control path
 * after the worker dropped the port; {@link #counters()}, {@link #mac()}, {@link #mtu()} and {@link #kernelDrops()}
 * may be called from any thread. The kernel takes every received frame's 802.1Q tag off into PACKET_AUXDATA; the port
 * reads it there and hands each VLAN's frames to the port of the network on it ({@link #demux}, {@link LanPort}).
 */
public final class AfPacketPort extends VnetFdPort
{
    // linux/if_ether.h
    static final int ETH_P_ALL = 0x0003;
    // linux/if_arp.h
    static final int ARPHRD_ETHER = 1;
    // linux/socket.h
    static final int SOL_PACKET = 263;
    // linux/if_packet.h
    static final int PACKET_ADD_MEMBERSHIP = 1;
    static final int PACKET_AUXDATA = 8;
    /** tpacket_auxdata.tp_status: the frame had an 802.1Q tag, which the kernel took off into tp_vlan_tci. */
    static final int TP_STATUS_VLAN_VALID = 1 << 4;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VNET_HDR = 15;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int PACKET_IGNORE_OUTGOING = 23;
    static final int PACKET_MR_PROMISC = 1;

    /** sizeof(struct sockaddr_ll): family(2) protocol(2, big-endian) ifindex(4) hatype(2) pkttype(1) halen(1) addr[8]. */
    static final int SOCKADDR_LL_SIZE = 20;
    /** sizeof(struct packet_mreq): ifindex(4) type(2) alen(2) address[8]. */
    static final int PACKET_MREQ_SIZE = 16;
    /** sizeof(struct tpacket_stats): unsigned tp_packets, tp_drops. */
    static final int TPACKET_STATS_SIZE = 8;
    /** sizeof(struct ifreq) on x86_64; the union starts after the name. */
    private static final int IFREQ_SIZE = 40;
    private static final int IFREQ_UNION_OFFSET = TapDevice.IFNAMSIZ;

    /** SO_RCVBUF/SO_SNDBUF asked for: room for dozens of 64 KiB super-frames (the default ~208 KiB holds three). */
    public static final int SOCKET_BUFFER_BYTES = 4 << 20;

    /*
     * recvmsg's buffers (worker only): struct msghdr (56 bytes) whose one iovec points at the pool slot and whose
     * control buffer takes the PACKET_AUXDATA message:
     *
     *   msghdr  0 name=0 | 8 namelen=0 | 16 iov | 24 iovlen=1 | 32 control | 40 controllen | 48 flags
     *   iovec   0 base (the slot, per read) | 8 len
     *   cmsghdr 0 len (8) | 8 level (4) | 12 type (4) | 16 tpacket_auxdata:
     *           status(4) len(4) snaplen(4) mac(2) net(2) vlan_tci(2) vlan_tpid(2)
     */
    private static final int MSGHDR = 0;
    private static final int IOVEC = 64;
    private static final int CONTROL = 128;
    private static final int CONTROL_SIZE = 64;
    private static final int AUXDATA = CONTROL + 16;
    private final UnsafeBuffer receiveMessage =
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(256, 64));

    /** The VLAN of the frame read last: its VID, or 0 when it came untagged (or priority-tagged). Worker only. */
    private int lastVid;

    private final int ifindex;
    private final byte[] mac;
    private final long macValue;
    private long kernelDrops;

    /*
     * Demultiplexing (worker only; changed by worker commands). A parent interface serves several networks: each
     * VLAN's frames enter with that network's port as in-port, untagged ones with the untagged network's. When
     * this port is also berthd's routed uplink, untagged frames to its own MAC and ARP for its routed address stay
     * the uplink's. A tagged frame for a VLAN nobody has is dropped here (rx_filtered).
     */
    private final int[] vlanPorts = new int[4096];
    private int routedAddress;
    private boolean routed;

    private AfPacketPort(final int id, final String ifname, final int ifindex, final int fd, final byte[] mac)
    {
        super(id, ifname, fd);
        this.ifindex = ifindex;
        this.mac = mac;
        long value = 0;
        for (final byte b : mac)
        {
            value = (value << 8) | (b & 0xFF);
        }
        this.macValue = value;
        Arrays.fill(vlanPorts, -1);
        final long base = receiveMessage.addressOffset();
        receiveMessage.putLong(MSGHDR + 16, base + IOVEC);
        receiveMessage.putLong(MSGHDR + 24, 1);
        receiveMessage.putLong(MSGHDR + 32, base + CONTROL);
        receiveMessage.putLong(IOVEC + 8, RECEIVE_CAPACITY);
    }

    /**
     * Worker command: frames of VLAN {@code vid} (0: untagged) enter as port {@code portId}'s, or again as this
     * port's own (untagged) or are filtered (tagged) when {@code portId} is -1.
     */
    public void demux(final int vid, final int portId)
    {
        vlanPorts[vid] = portId;
    }

    /** Worker command: this port is also the routed uplink owning {@code address}, which keeps its own frames. */
    public void routed(final int address)
    {
        routed = true;
        routedAddress = address;
    }

    /** The interface's MAC as a 48-bit value. */
    public long macAddress()
    {
        return macValue;
    }

    /** {@link #open(int, String, boolean)} without qdisc bypass. */
    public static AfPacketPort open(final int id, final String ifname) throws IOException
    {
        return open(id, ifname, false);
    }

    /**
     * Opens a port on Ethernet interface {@code ifname} in the calling thread's network namespace (use
     * {@link NetNamespace#run} for another; the socket stays bound to that namespace's interface afterwards).
     *
     * @param qdiscBypass PACKET_QDISC_BYPASS: transmit straight to the driver, skipping the qdisc layer (faster, but
     *                    a full device queue drops the frame, counted as a tx error, instead of queueing it).
     * @throws IOException naming the failed call, errno and interface: ENODEV (no such interface), EPERM (needs
     *                     CAP_NET_RAW), EINVAL in the message for a non-Ethernet interface.
     */
    public static AfPacketPort open(final int id, final String ifname, final boolean qdiscBypass) throws IOException
    {
        checkName(ifname);
        final int ifindex = Natives.ifNameToIndex(ifname);
        final int fd = Natives.socket(Natives.AF_PACKET,
            Natives.SOCK_RAW | Natives.SOCK_NONBLOCK | Natives.SOCK_CLOEXEC, 0, ifname);
        try
        {
            final byte[] mac = hardwareAddress(fd, ifname);
            Natives.setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR", ifname);
            Natives.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING", ifname);
            // a received frame's 802.1Q tag is not in the frame but in this ancillary message
            Natives.setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, 1, "PACKET_AUXDATA", ifname);
            if (qdiscBypass)
            {
                Natives.setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS", ifname);
            }
            socketBuffer(fd, Natives.SO_RCVBUFFORCE, Natives.SO_RCVBUF, "SO_RCVBUF", ifname);
            socketBuffer(fd, Natives.SO_SNDBUFFORCE, Natives.SO_SNDBUF, "SO_SNDBUF", ifname);

            final Pointer sll = Natives.allocateDirect(SOCKADDR_LL_SIZE);
            sll.putShort(0, (short)Natives.AF_PACKET);
            sll.putByte(2, (byte)(ETH_P_ALL >>> 8)); // sll_protocol is big-endian: htons(ETH_P_ALL)
            sll.putByte(3, (byte)ETH_P_ALL);
            sll.putInt(4, ifindex);
            Natives.bind(fd, sll, SOCKADDR_LL_SIZE, ifname + " (ifindex " + ifindex + ")");

            final Pointer mreq = Natives.allocateDirect(PACKET_MREQ_SIZE);
            mreq.putInt(0, ifindex);
            mreq.putShort(4, (short)PACKET_MR_PROMISC);
            Natives.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, PACKET_MREQ_SIZE,
                "PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC", ifname);
            return new AfPacketPort(id, ifname, ifindex, fd, mac);
        }
        catch (final IOException | RuntimeException e)
        {
            Natives.close(fd);
            throw e;
        }
    }

    private static void checkName(final String ifname)
    {
        if (ifname == null || ifname.isEmpty() || ifname.getBytes(StandardCharsets.US_ASCII).length >= TapDevice.IFNAMSIZ
            || ifname.indexOf('/') >= 0 || ifname.indexOf(' ') >= 0)
        {
            throw new IllegalArgumentException("bad interface name (1.." + (TapDevice.IFNAMSIZ - 1)
                + " bytes, no '/' or ' '): " + ifname);
        }
    }

    /** The FORCE variant lifts the net.core.[rw]mem_max cap but needs CAP_NET_ADMIN; fall back to the capped one. */
    private static void socketBuffer(final int fd, final int force, final int plain, final String name,
        final String ifname) throws IOException
    {
        try
        {
            Natives.setsockopt(fd, Natives.SOL_SOCKET, force, SOCKET_BUFFER_BYTES, name + "FORCE", ifname);
        }
        catch (final Errors.NativeIOException e)
        {
            if (e.errno() != Errors.EPERM)
            {
                throw e;
            }
            Natives.setsockopt(fd, Natives.SOL_SOCKET, plain, SOCKET_BUFFER_BYTES, name, ifname);
        }
    }

    private static Pointer ifreq(final String ifname)
    {
        final Pointer ifr = Natives.allocateDirect(IFREQ_SIZE);
        final byte[] bytes = ifname.getBytes(StandardCharsets.US_ASCII);
        ifr.put(0, bytes, 0, bytes.length);
        return ifr;
    }

    /** SIOCGIFHWADDR: the interface's MAC; refuses anything but Ethernet (ARPHRD_ETHER). */
    static byte[] hardwareAddress(final int socketFd, final String ifname) throws IOException
    {
        final Pointer ifr = ifreq(ifname);
        Natives.ioctl(socketFd, Natives.SIOCGIFHWADDR, ifr, "SIOCGIFHWADDR", ifname);
        final int hatype = ifr.getShort(IFREQ_UNION_OFFSET) & 0xffff; // ifr_hwaddr.sa_family
        if (hatype != ARPHRD_ETHER)
        {
            throw new Errors.NativeIOException(ifname + " is not an Ethernet interface (ARPHRD " + hatype
                + "): EINVAL (" + Errors.EINVAL + ")", "SIOCGIFHWADDR", Errors.EINVAL);
        }
        final byte[] mac = new byte[6];
        ifr.get(IFREQ_UNION_OFFSET + 2, mac, 0, 6); // ifr_hwaddr.sa_data
        return mac;
    }

    public int ifindex()
    {
        return ifindex;
    }

    /** The interface's MAC as read at open (a copy): the source address for frames berthd sends on the uplink. */
    public byte[] mac()
    {
        return mac.clone();
    }

    /** SIOCGIFMTU, read now (it may change while the port is open). Control path. */
    public int mtu() throws IOException
    {
        final Pointer ifr = ifreq(name());
        Natives.ioctl(fd, Natives.SIOCGIFMTU, ifr, "SIOCGIFMTU", name());
        return ifr.getInt(IFREQ_UNION_OFFSET);
    }

    /**
     * Frames the kernel dropped because the socket's receive queue was full, since open (PACKET_STATISTICS, which
     * resets on each read, accumulated here). Control path; any thread.
     */
    public synchronized long kernelDrops() throws IOException
    {
        final Pointer stats = Natives.allocateDirect(TPACKET_STATS_SIZE);
        Natives.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, stats, TPACKET_STATS_SIZE, "PACKET_STATISTICS", name());
        kernelDrops += stats.getInt(4) & 0xffffffffL;
        return kernelDrops;
    }

    /**
     * recvmsg with MSG_TRUNC: the real length comes back, so a frame too long for a slot is seen, not cut; and the
     * PACKET_AUXDATA message says whether the frame was tagged (the kernel always takes the tag off).
     */
    @Override
    long readFrame(final long address)
    {
        receiveMessage.putLong(IOVEC, address);
        receiveMessage.putLong(MSGHDR + 40, CONTROL_SIZE);
        receiveMessage.putInt(AUXDATA, 0);
        final long n = Natives.recvmsg(fd, receiveMessage.addressOffset() + MSGHDR, Natives.MSG_TRUNC);
        lastVid = receiveMessage.getLong(MSGHDR + 40) >= 16 + 20 && receiveMessage.getInt(CONTROL + 8) == SOL_PACKET
            && receiveMessage.getInt(CONTROL + 12) == PACKET_AUXDATA
            && (receiveMessage.getInt(AUXDATA) & TP_STATUS_VLAN_VALID) != 0
            ? receiveMessage.getShort(AUXDATA + 16) & 0x0FFF : 0;
        return n;
    }

    @Override
    int inPortOf(final PacketPool pool, final int frame, final int frameLength)
    {
        final int vid = lastVid;
        if (vid != 0)
        {
            final int port = vlanPorts[vid];
            return port >= 0 ? port : FILTERED;
        }
        final int untagged = vlanPorts[0];
        if (untagged < 0)
        {
            return id();
        }
        if (!routed)
        {
            return untagged;
        }
        // the wire is shared with the routed uplink: what is addressed to it stays its own
        final UnsafeBuffer buffer = pool.buffer();
        final long destination = ((buffer.getInt(frame, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL) << 16)
            | (buffer.getShort(frame + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF);
        if (destination == macValue)
        {
            return id();
        }
        // broadcast ARP (Ethernet/IPv4) asking for the routed address: target IP at 14 + 24
        if (destination == 0xFFFF_FFFF_FFFFL && frameLength >= 42
            && buffer.getShort(frame + 12, ByteOrder.BIG_ENDIAN) == 0x0806
            && buffer.getInt(frame + 38, ByteOrder.BIG_ENDIAN) == routedAddress)
        {
            return id();
        }
        return untagged;
    }

    /**
     * EINVAL: the kernel took a frame off the queue that the 10-byte header cannot describe; the next one may be
     * fine. Anything else (ENETDOWN, reported once when the link goes down; EBADF) is not about one frame.
     */
    @Override
    boolean isPerFrameError(final long negativeErrno)
    {
        return negativeErrno == -Errors.EINVAL;
    }

    /** Closes the socket; the kernel drops the promiscuous membership with it. */
    @Override
    public void close()
    {
        super.close();
    }

    @Override
    public String toString()
    {
        return "AfPacketPort{id=" + id() + ", ifname=" + name() + ", ifindex=" + ifindex + ", fd=" + fd + '}';
    }
}
