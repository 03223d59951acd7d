package io.berth.tap;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortCounters;
import jnr.ffi.Pointer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import java.util.Collections;

/**
 * {@link AfPacketPort} on a real veth pair: namespace "uplink" holds {@code up0} (no address, as berthd's uplink),
 * driven by the port; namespace "peer" holds the other end as eth0 192.0.2.1/24 and plays the outside host. Needs
 * root (skipped otherwise, failed when CI=true). Traffic goes only to 192.0.2.0/24 inside namespaces created here;
 * everything is removed after each test, also on failure.
 */
class AfPacketKernelTest
{
    private static final byte[] PEER_MAC = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02}; // a made-up host on the link
    private static final byte[] OUTSIDE_IP = Frames.ip(192, 0, 2, 1);
    private static final byte[] UPLINK_IP = Frames.ip(192, 0, 2, 2);
    private static final String UPLINK = "up0";

    // linux/virtio_net.h
    private static final int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    private static final int VIRTIO_NET_HDR_GSO_TCPV4 = 1;
    // linux/ethtool.h: legacy struct ethtool_value commands
    private static final int ETHTOOL_STXCSUM = 0x17;
    private static final int ETHTOOL_STSO = 0x1f;

    private Kernel kernel;
    private final PacketPool pool = new PacketPool(64);
    private final PacketBatch batch = new PacketBatch();

    @BeforeEach
    void setUp()
    {
        Kernel.requireRoot();
        kernel = new Kernel("btafp");
    }

    @AfterEach
    void tearDown() throws IOException
    {
        if (kernel != null)
        {
            kernel.close();
        }
    }

    private record Uplink(String ns, String peerNs, AfPacketPort port, byte[] outsideMac)
    {
    }

    private Uplink uplink() throws IOException, InterruptedException
    {
        final String ns = kernel.namespace();
        final String peerNs = kernel.namespace();
        Kernel.sh("ip", "-n", ns, "link", "add", UPLINK, "type", "veth", "peer", "name", "eth0", "netns", peerNs);
        Kernel.sh("ip", "-n", ns, "link", "set", UPLINK, "up");
        Kernel.sh("ip", "-n", peerNs, "addr", "add", "192.0.2.1/24", "dev", "eth0");
        Kernel.sh("ip", "-n", peerNs, "link", "set", "eth0", "up");
        Kernel.awaitTransmitReady(ns, UPLINK);
        Kernel.awaitTransmitReady(peerNs, "eth0");
        final AfPacketPort port = NetNamespace.run(ns, () -> AfPacketPort.open(5, UPLINK));
        kernel.onClose(port::close);
        final byte[] outsideMac = Kernel.parseMac(
            Kernel.sh("ip", "netns", "exec", peerNs, "cat", "/sys/class/net/eth0/address").trim());
        return new Uplink(ns, peerNs, port, outsideMac);
    }

    private static String sys(final String ns, final String file) throws IOException
    {
        return Kernel.sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/" + UPLINK + "/" + file).trim();
    }

    private Process background(final String... command) throws IOException
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        kernel.onClose(() -> stop(p));
        return p;
    }

    private static void stop(final Process p)
    {
        p.destroy();
        try
        {
            if (!p.waitFor(5, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void openReadsTheInterfaceAndHoldsItPromiscuous() throws Exception
    {
        final Uplink u = uplink();
        final AfPacketPort port = u.port();
        assertEquals(UPLINK, port.name());
        assertArrayEquals(Kernel.parseMac(sys(u.ns(), "address")), port.mac());
        assertEquals(Integer.parseInt(sys(u.ns(), "ifindex")), port.ifindex());
        assertEquals(1500, port.mtu());
        Kernel.sh("ip", "-n", u.ns(), "link", "set", UPLINK, "mtu", "9000");
        assertEquals(9000, port.mtu(), "read live");
        assertTrue(port.offloads());
        assertEquals(port.fd(), port.pollFd());
        assertEquals(0, port.kernelDrops());
        // PACKET_MR_PROMISC counts in dev->promiscuity, which netlink reports (the PROMISC flag shows only the
        // user-set one)
        assertTrue(Kernel.sh("ip", "-d", "-n", u.ns(), "link", "show", UPLINK).contains("promiscuity 1"));
        port.close();
        assertTrue(Kernel.sh("ip", "-d", "-n", u.ns(), "link", "show", UPLINK).contains("promiscuity 0"),
            "closing the socket drops the promiscuous membership");
    }

    @Test
    void openFailsPreciselyForMissingAndNonEthernetInterfaces() throws Exception
    {
        final String ns = kernel.namespace();
        final IOException missing = assertThrows(IOException.class,
            () -> NetNamespace.run(ns, () -> AfPacketPort.open(1, "nosuch0")));
        assertTrue(missing.getMessage().contains("if_nametoindex") && missing.getMessage().contains("nosuch0")
            && missing.getMessage().contains("ENODEV"), missing.getMessage());
        final IOException loopback = assertThrows(IOException.class,
            () -> NetNamespace.run(ns, () -> AfPacketPort.open(1, "lo")));
        assertTrue(loopback.getMessage().contains("lo is not an Ethernet interface"), loopback.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AfPacketPort.open(1, "a/b"));
        assertThrows(IllegalArgumentException.class, () -> AfPacketPort.open(1, "sixteen-chars-xx"));
    }

    /** Reads until an ARP frame arrives; returns its handle (owned by the caller) and releases everything else. */
    private int receiveArp(final AfPacketPort port, final long timeoutMs, final List<byte[]> others)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline)
        {
            batch.clear();
            port.receive(pool, batch, 16);
            int found = PacketPool.NO_PACKET;
            for (int i = 0; i < batch.count(); i++)
            {
                final int h = batch.get(i);
                if (found == PacketPool.NO_PACKET && Frames.isArp(Frames.frameOf(pool, h)))
                {
                    found = h;
                }
                else
                {
                    others.add(Frames.frameOf(pool, h));
                    pool.release(h);
                }
            }
            if (found != PacketPool.NO_PACKET)
            {
                return found;
            }
            Thread.sleep(5);
        }
        fail("no ARP frame within " + timeoutMs + " ms");
        return PacketPool.NO_PACKET;
    }

    @Test
    void arpRequestFromOutsideInAndReplyOut() throws Exception
    {
        final Uplink u = uplink();
        background("ip", "netns", "exec", u.peerNs(), "ping", "-c1", "-W1", "192.0.2.2");
        final int h = receiveArp(u.port(), 5000, new ArrayList<>());
        final byte[] expected = Frames.arp(1, Frames.BROADCAST, u.outsideMac(), u.outsideMac(), OUTSIDE_IP,
            new byte[6], UPLINK_IP);
        assertArrayEquals(expected, Frames.frameOf(pool, h), "the outside's ARP request for the uplink address");
        assertArrayEquals(new byte[PacketPool.VNET_HDR_LEN], Frames.vnetOf(pool, h), "no offload on ARP");
        assertEquals(Frames.ARP_FRAME_LENGTH, pool.frameLength(h));
        assertEquals(u.port().id(), pool.inPort(h));
        pool.release(h);
        assertTrue(u.port().counters().get(PortCounters.RX_PACKETS) >= 1);
        assertEquals(0, u.port().counters().get(PortCounters.RX_ERRORS));

        // berthd answers for the uplink address with the interface's MAC
        final byte[] mac = u.port().mac();
        final int reply = Frames.packet(pool, Frames.arp(2, u.outsideMac(), mac, mac, UPLINK_IP, u.outsideMac(),
            OUTSIDE_IP));
        assertTrue(u.port().transmit(pool, reply));
        pool.release(reply);
        assertEquals(1, u.port().counters().get(PortCounters.TX_PACKETS));
        assertEquals(Frames.ARP_FRAME_LENGTH, u.port().counters().get(PortCounters.TX_BYTES));
        final String lladdr = "lladdr " + sys(u.ns(), "address");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        String neigh = "";
        while (System.nanoTime() < deadline)
        {
            neigh = Kernel.sh("ip", "-n", u.peerNs(), "neigh", "show", "192.0.2.2", "dev", "eth0");
            if (neigh.contains(lladdr))
            {
                return;
            }
            Thread.sleep(20);
        }
        fail("the outside did not learn 192.0.2.2 from our ARP reply: " + neigh);
    }

    /**
     * The kernel takes every received frame's 802.1Q tag off into PACKET_AUXDATA: the port reads it there and hands
     * the frame of a VLAN a network has to that network's port, untagged frames to its own id (no untagged network),
     * and filters the tag nobody has (counted).
     */
    @Test
    void vlanTagsAreReadFromAuxdataAndEachVlanEntersAsItsNetworksPort() throws Exception
    {
        final Uplink u = uplink();
        u.port().demux(10, 42);
        final String arp = "0806000108000604000102005e100002c0000201000000000000c0000202";
        final String send = "import socket,sys;s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW);s.bind(('eth0',0));" +
            "[s.send(bytes.fromhex(f)+bytes(18)) for f in sys.argv[1:]]";
        final String head = "ffffffffffff02005e100002";
        Kernel.sh("ip", "netns", "exec", u.peerNs(), "/usr/bin/python3", "-c", send,
            head + "8100000a" + arp, head + "81000014" + arp, head + arp);
        final List<Integer> inPorts = new ArrayList<>();
        final List<byte[]> frames = new ArrayList<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (inPorts.size() < 2 && System.nanoTime() < deadline)
        {
            batch.clear();
            u.port().receive(pool, batch, 16);
            for (int i = 0; i < batch.count(); i++)
            {
                final int h = batch.get(i);
                final byte[] frame = Frames.frameOf(pool, h);
                if (Frames.isArp(frame))
                {
                    inPorts.add(pool.inPort(h));
                    frames.add(frame);
                }
                pool.release(h);
            }
            Thread.sleep(5);
        }
        assertEquals(List.of(42, u.port().id()), inPorts, "VLAN 10 as port 42, untagged as the port itself");
        assertEquals(frames.get(0).length, frames.get(1).length, "the tag is not in the frame");
        assertArrayEquals(frames.get(1), frames.get(0));
        assertEquals(1, u.port().counters().get(PortCounters.RX_FILTERED), "VLAN 20 is nobody's");

        u.port().demux(0, 43);
        Kernel.sh("ip", "netns", "exec", u.peerNs(), "/usr/bin/python3", "-c", send, head + arp);
        final int h = receiveArp(u.port(), 5000, new ArrayList<>());
        assertEquals(43, pool.inPort(h), "an untagged network takes the untagged frames");
        pool.release(h);
    }

    @Test
    void ownTransmissionsAreNotReadBack() throws Exception
    {
        final Uplink u = uplink();
        final byte[] mac = u.port().mac();
        final int request = Frames.packet(pool,
            Frames.arp(1, Frames.BROADCAST, mac, mac, UPLINK_IP, new byte[6], OUTSIDE_IP));
        assertTrue(u.port().transmit(pool, request));
        pool.release(request);
        final List<byte[]> others = new ArrayList<>();
        final int h = receiveArp(u.port(), 5000, others);
        final byte[] reply = Frames.arp(2, mac, u.outsideMac(), u.outsideMac(), OUTSIDE_IP, mac, UPLINK_IP);
        assertArrayEquals(reply, Frames.frameOf(pool, h), "the first ARP read is the outside's reply, not our request");
        pool.release(h);
        assertTrue(others.isEmpty(), "nothing else on the link: " + others.size());
    }

    @Test
    void tcpFromOutsideArrivesAsGsoSuperFramesWithTheirVnetHeader() throws Exception
    {
        Kernel.requireTool("socat");
        final Uplink u = uplink();
        // test fixture only: the kernel in the uplink namespace terminates TCP so the outside sends a real stream
        // (berthd's uplink holds no kernel address); the port reads beside it, promiscuously
        Kernel.sh("ip", "-n", u.ns(), "addr", "add", "192.0.2.2/24", "dev", UPLINK);
        background("ip", "netns", "exec", u.ns(), "socat", "-u", "TCP-LISTEN:5001,reuseaddr,bind=192.0.2.2",
            "OPEN:/dev/null");
        background("ip", "netns", "exec", u.peerNs(), "socat", "-u", "OPEN:/dev/zero",
            "TCP:192.0.2.2:5001,retry=50,interval=0.1");

        final byte[] ownMac = u.port().mac();
        final UnsafeBuffer b = pool.buffer();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int ownSeen = 0;
        while (System.nanoTime() < deadline)
        {
            batch.clear();
            u.port().receive(pool, batch, 32);
            for (int i = 0; i < batch.count(); i++)
            {
                final int h = batch.get(i);
                final byte[] src = new byte[6];
                b.getBytes(pool.frameOffset(h) + 6, src);
                if (Arrays.equals(src, ownMac))
                {
                    ownSeen++; // the kernel's ACKs leave by up0: PACKET_IGNORE_OUTGOING must hide them
                }
                final int v = pool.vnetOffset(h);
                if ((b.getByte(v + 1) & 0xff) != 0 && pool.frameLength(h) > 1514)
                {
                    final int f = pool.frameOffset(h);
                    final int length = pool.frameLength(h);
                    assertEquals(VIRTIO_NET_HDR_GSO_TCPV4, b.getByte(v + 1), "gso_type");
                    assertEquals(1448, b.getShort(v + 4, ByteOrder.LITTLE_ENDIAN), "gso_size: MSS 1460 - 12 (timestamps)");
                    assertEquals(VIRTIO_NET_HDR_F_NEEDS_CSUM, b.getByte(v) & VIRTIO_NET_HDR_F_NEEDS_CSUM,
                        "partial checksum: the kernel sent it unchecksummed over veth");
                    assertEquals(34, b.getShort(v + 6, ByteOrder.LITTLE_ENDIAN), "csum_start: Ethernet + IPv4");
                    assertEquals(16, b.getShort(v + 8, ByteOrder.LITTLE_ENDIAN), "csum_offset: TCP checksum");
                    assertEquals(0x0800, b.getShort(f + 12, ByteOrder.BIG_ENDIAN) & 0xffff, "IPv4");
                    assertEquals(6, b.getByte(f + 23), "TCP");
                    assertEquals(length - 14, b.getShort(f + 16, ByteOrder.BIG_ENDIAN) & 0xffff,
                        "the IPv4 total length covers the whole super-frame");
                    assertTrue((length - 14 - 20 - 32) % 1448 == 0 || length - 14 - 20 - 32 > 1448,
                        "more than one segment of payload: " + length);
                    assertEquals(0, ownSeen, "own transmissions read back");
                    assertEquals(0, u.port().counters().get(PortCounters.RX_ERRORS));
                    for (int j = i; j < batch.count(); j++)
                    {
                        pool.release(batch.get(j));
                    }
                    return;
                }
                pool.release(h);
            }
            if (batch.count() == 0)
            {
                Thread.sleep(1);
            }
        }
        fail("no GSO super-frame from the outside's TCP stream; rx " + u.port().counters().get(PortCounters.RX_PACKETS)
            + ", errors " + u.port().counters().get(PortCounters.RX_ERRORS));
    }

    /** Turns a legacy ethtool feature (ETHTOOL_S*) on or off on up0, through the port's own socket. */
    private static void ethtool(final AfPacketPort port, final int command, final int value) throws IOException
    {
        final Pointer ev = Natives.allocateDirect(8); // struct ethtool_value { u32 cmd; u32 data; }
        ev.putInt(0, command);
        ev.putInt(4, value);
        final Pointer ifr = Natives.allocateDirect(40);
        final byte[] name = UPLINK.getBytes(StandardCharsets.US_ASCII);
        ifr.put(0, name, 0, name.length);
        ifr.putAddress(16, ev.address()); // ifr_data
        Natives.ioctl(port.fd(), Natives.SIOCETHTOOL, ifr, "SIOCETHTOOL " + command, UPLINK);
    }

    private static int fold(long sum)
    {
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int)sum;
    }

    private static long sum16(final byte[] bytes, final int from, final int to)
    {
        long sum = 0;
        for (int i = from; i < to; i += 2)
        {
            sum += ((bytes[i] & 0xff) << 8) | (i + 1 < to ? bytes[i + 1] & 0xff : 0);
        }
        return sum;
    }

    @Test
    void gsoSuperFrameSentIsSegmentedByTheKernelIntoCheckedMtuPackets() throws Exception
    {
        Kernel.requireTool("tcpdump");
        final Uplink u = uplink();
        // without TSO and checksum offload on up0 the kernel's software GSO cuts the super-frame and checksums each
        // segment before it crosses the veth (with them, veth would pass the super-frame through unsegmented)
        ethtool(u.port(), ETHTOOL_STXCSUM, 0);
        ethtool(u.port(), ETHTOOL_STSO, 0);

        final Process tcpdump = new ProcessBuilder("ip", "netns", "exec", u.peerNs(), "tcpdump", "-i", "eth0", "-n",
            "-vv", "-S", "-l", "-c", "3", "tcp and src host 192.0.2.2").redirectErrorStream(true).start();
        kernel.onClose(() -> stop(tcpdump));
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch listening = new CountDownLatch(1);
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(tcpdump.getInputStream(),
                StandardCharsets.UTF_8)))
            {
                for (String line; (line = r.readLine()) != null; )
                {
                    lines.add(line);
                    if (line.contains("listening on"))
                    {
                        listening.countDown();
                    }
                }
            }
            catch (final IOException ignored)
            {
                // process gone
            }
        }, "tcpdump-reader");
        reader.setDaemon(true);
        reader.start();
        assertTrue(listening.await(10, TimeUnit.SECONDS), "tcpdump did not start: " + lines);

        // one super-frame: 3 x 1448 bytes of payload in a single TCPv4 frame, checksum left partial
        final int mss = 1448;
        final int payload = 3 * mss;
        final int tcpLength = 20 + payload;
        final byte[] f = new byte[14 + 20 + tcpLength];
        System.arraycopy(u.outsideMac(), 0, f, 0, 6);
        System.arraycopy(u.port().mac(), 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x00;
        f[14] = 0x45;
        f[16] = (byte)((20 + tcpLength) >>> 8);
        f[17] = (byte)(20 + tcpLength);
        f[18] = 0x12;
        f[19] = 0x34;           // id
        f[20] = 0x40;           // DF
        f[22] = 64;             // ttl
        f[23] = 6;              // TCP
        System.arraycopy(UPLINK_IP, 0, f, 26, 4);
        System.arraycopy(OUTSIDE_IP, 0, f, 30, 4);
        final int ipCsum = ~fold(sum16(f, 14, 34)) & 0xffff;
        f[24] = (byte)(ipCsum >>> 8);
        f[25] = (byte)ipCsum;
        final int t = 34;
        f[t] = (byte)(40000 >>> 8);
        f[t + 1] = (byte)40000; // sport
        f[t + 2] = (byte)(5001 >>> 8);
        f[t + 3] = (byte)5001;  // dport
        f[t + 6] = 0x03;
        f[t + 7] = (byte)0xe8;  // seq 1000
        f[t + 11] = 1;          // ack 1
        f[t + 12] = 0x50;       // data offset 5
        f[t + 13] = 0x18;       // PSH|ACK
        f[t + 14] = 0x02;       // window 512
        for (int i = 0; i < payload; i++)
        {
            f[t + 20 + i] = (byte)(i * 7);
        }
        // CHECKSUM_PARTIAL convention: the field holds the folded, uncomplemented pseudo-header sum
        final int pseudo = fold(sum16(f, 26, 34) + 6 + tcpLength);
        f[t + 16] = (byte)(pseudo >>> 8);
        f[t + 17] = (byte)pseudo;

        final int h = Frames.packet(pool, f);
        final UnsafeBuffer b = pool.buffer();
        final int v = pool.vnetOffset(h);
        b.putByte(v, (byte)VIRTIO_NET_HDR_F_NEEDS_CSUM);
        b.putByte(v + 1, (byte)VIRTIO_NET_HDR_GSO_TCPV4);
        b.putShort(v + 2, (short)54, ByteOrder.LITTLE_ENDIAN);  // hdr_len
        b.putShort(v + 4, (short)mss, ByteOrder.LITTLE_ENDIAN); // gso_size
        b.putShort(v + 6, (short)34, ByteOrder.LITTLE_ENDIAN);  // csum_start
        b.putShort(v + 8, (short)16, ByteOrder.LITTLE_ENDIAN);  // csum_offset
        assertTrue(u.port().transmit(pool, h), "tx errors " + u.port().counters().get(PortCounters.TX_ERRORS));
        pool.release(h);
        assertEquals(f.length, u.port().counters().get(PortCounters.TX_BYTES));

        assertTrue(tcpdump.waitFor(10, TimeUnit.SECONDS), "fewer than 3 segments reached the outside: " + lines);
        reader.join(2000);
        final String out = String.join("\n", lines);
        for (final String seq : new String[] {"seq 1000:2448", "seq 2448:3896", "seq 3896:5344"})
        {
            assertTrue(out.contains(seq), seq + " in " + out);
        }
        assertEquals(3, count(out, "length 1488)"), "three IPv4 packets of 20 + 20 + 1448: " + out);
        assertEquals(3, count(out, "(correct)"), "each segment's TCP checksum is right: " + out);
        assertFalse(out.contains("incorrect") || out.contains("bad cksum"), out);
        assertNotEquals(-1, out.indexOf("Flags [P.]"), "PSH stays on the last segment only: " + out);
    }

    private static int count(final String haystack, final String needle)
    {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1))
        {
            n++;
        }
        return n;
    }

    @Test
    void receiveAndTransmitAllocateNothingInSteadyState() throws Exception
    {
        final Uplink u = uplink();
        final AfPacketPort port = u.port();
        // "who has 192.0.2.1?" from a made-up host: the outside answers each one to PEER_MAC, which the port reads
        // (promiscuously), so the write path and the successful read path both run in the measured loop
        final int request = Frames.packet(pool,
            Frames.arp(1, Frames.BROADCAST, PEER_MAC, PEER_MAC, UPLINK_IP, new byte[6], OUTSIDE_IP));

        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final int iterations = 10_000;
        long allocated = -1;
        long nanos = 0;
        for (int round = 0; round < 5 && allocated != 0; round++) // first rounds warm up the JIT
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            final long start = System.nanoTime();
            for (int i = 0; i < iterations; i++)
            {
                port.transmit(pool, request);
                batch.clear();
                port.receive(pool, batch, 8);
                for (int j = 0; j < batch.count(); j++)
                {
                    pool.release(batch.get(j));
                }
            }
            nanos = System.nanoTime() - start;
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertEquals(0, allocated, "bytes allocated by 10k transmit+receive");
        assertEquals(0, port.counters().get(PortCounters.TX_ERRORS));
        assertEquals(0, port.counters().get(PortCounters.RX_ERRORS));
        assertTrue(port.counters().get(PortCounters.TX_PACKETS) >= iterations);
        final long rx = port.counters().get(PortCounters.RX_PACKETS);
        assertTrue(rx >= 1_000, "the outside's replies were read: " + rx);
        // a measurement, not an assertion (see the AfPacketPort Javadoc on rings)
        System.out.printf("AfPacketPort: %d ns per ARP write + read-back cycle (last round), %d frames read%n",
            nanos / iterations, rx);

        // the receive side alone: let replies queue up, then time draining them
        long readNanos = 0;
        long read = 0;
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 200; i++)
            {
                port.transmit(pool, request);
            }
            Thread.sleep(20);
            final long start = System.nanoTime();
            int n;
            do
            {
                batch.clear();
                n = port.receive(pool, batch, 32);
                for (int j = 0; j < n; j++)
                {
                    pool.release(batch.get(j));
                }
                read += n;
            }
            while (n > 0);
            readNanos += System.nanoTime() - start;
        }
        System.out.printf("AfPacketPort: %d ns per frame draining a queued burst (%d frames)%n",
            read == 0 ? -1 : readNanos / read, read);
    }
}
