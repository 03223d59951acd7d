package io.berth.tap;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortCounters;
import io.berth.tap.xdp.XdpPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link XdpPort} on a real veth pair: namespace "host" holds {@code xp0} with the XDP program and the AF_XDP
 * socket; namespace "peer" holds the other end as eth0 192.0.2.1/24, a container. Frames the peer sends arrive
 * in the RX ring (no system call to read them); frames the port sends arrive at the peer; closing the port
 * detaches the program. Needs root (skipped otherwise, failed when CI=true). Traffic only inside the namespaces
 * made here; everything removed after each test, also on failure.
 */
class XdpKernelTest
{
    private static final byte[] PEER_IP = Frames.ip(192, 0, 2, 1);
    private static final byte[] PORT_IP = Frames.ip(192, 0, 2, 2);
    private static final byte[] PORT_MAC = {0x02, 0x42, (byte)0xc0, 0x00, 0x02, 0x02};

    private Kernel kernel;
    private final PacketPool pool = new PacketPool(64);
    private final PacketBatch batch = new PacketBatch();

    @BeforeEach
    void setUp()
    {
        Kernel.requireRoot();
        kernel = new Kernel("btxdp");
    }

    @AfterEach
    void tearDown() throws IOException
    {
        if (kernel != null)
        {
            kernel.close();
        }
    }

    @Test
    void framesCrossTheRingsBothWaysAndClosingDetachesTheProgram() throws Exception
    {
        final String ns = kernel.namespace();
        final String peerNs = kernel.namespace();
        Kernel.sh("ip", "-n", ns, "link", "add", "xp0", "type", "veth", "peer", "name", "eth0", "netns", peerNs);
        Kernel.sh("ip", "-n", ns, "link", "set", "xp0", "up");
        Kernel.sh("ip", "-n", peerNs, "addr", "add", "192.0.2.1/24", "dev", "eth0");
        Kernel.sh("ip", "-n", peerNs, "link", "set", "eth0", "up");
        Kernel.awaitTransmitReady(ns, "xp0");
        Kernel.awaitTransmitReady(peerNs, "eth0");
        final XdpPort port = NetNamespace.run(ns, () -> XdpPort.open(7, "xp0"));
        kernel.onClose(port::close);
        assertTrue(port.offloads(), "it finishes checksums and cuts TSO frames itself");
        assertTrue(Kernel.sh("ip", "-n", ns, "link", "show", "xp0").contains("prog/xdp"), "the program is attached");
        final byte[] peerMac = Kernel.parseMac(
            Kernel.sh("ip", "netns", "exec", peerNs, "cat", "/sys/class/net/eth0/address").trim());

        // the peer asks for 192.0.2.2: its ARP request arrives through the XDP program and the RX ring
        final Process ping = new ProcessBuilder("ip", "netns", "exec", peerNs, "ping", "-c", "3", "-W", "1",
            "192.0.2.2").redirectErrorStream(true).start();
        kernel.onClose(ping::destroyForcibly);
        final int request = receive(port, 12, 5000);
        final byte[] expected = Frames.arp(1, Frames.BROADCAST, peerMac, peerMac, PEER_IP, new byte[6], PORT_IP);
        assertArrayEquals(expected, Arrays.copyOf(Frames.frameOf(pool, request), expected.length));
        assertEquals(7, pool.inPort(request));
        assertArrayEquals(new byte[PacketPool.VNET_HDR_LEN], Frames.vnetOf(pool, request), "no virtio header");
        pool.release(request);

        // our reply goes out through the TX ring; the peer then sends its echo request to our MAC
        final int reply = Frames.packet(pool, Frames.arp(2, peerMac, PORT_MAC, PORT_MAC, PORT_IP, peerMac, PEER_IP));
        assertTrue(port.transmit(pool, reply));
        assertTrue(port.defersTransmits());
        port.flushTransmits(); // the end of the pass: one wake-up sends what it queued
        pool.release(reply);
        assertEquals(1, port.counters().get(PortCounters.TX_PACKETS));
        final int echo = receive(port, 0x0800, 5000);
        final byte[] frame = Frames.frameOf(pool, echo);
        assertArrayEquals(PORT_MAC, Arrays.copyOf(frame, 6), "the peer learnt our MAC from the reply");
        assertEquals(1, frame[23], "an ICMP echo request");
        pool.release(echo);
        assertEquals(0, port.counters().get(PortCounters.RX_ERRORS));

        // many frames: the rings turn over (more frames than a ring holds) and every one is counted once
        for (int i = 0; i < 3000; i++)
        {
            final int h = Frames.packet(pool, Frames.arp(2, peerMac, PORT_MAC, PORT_MAC, PORT_IP, peerMac, PEER_IP));
            // every chunk in flight (the kernel completes a send when the peer has the frame) is a drop, counted;
            // the chunks come back and the next try goes
            int tries = 0;
            while (!port.transmit(pool, h))
            {
                assertTrue(++tries < 200, "frame " + i + ": no chunk came back");
                port.flushTransmits();
                Thread.sleep(1);
            }
            pool.release(h);
            if (i % 100 == 99)
            {
                port.flushTransmits(); // passes of 100 frames: each flushed with wake-ups of up to 32 frames
            }
        }
        port.flushTransmits();
        assertEquals(3001, port.counters().get(PortCounters.TX_PACKETS), "every frame sent once");

        port.close();
        String link = "";
        for (int i = 0; i < 100; i++)
        {
            link = Kernel.sh("ip", "-n", ns, "link", "show", "xp0");
            if (!link.contains("prog/xdp"))
            {
                return; // the link's last fd went with the port: the kernel detached the program
            }
            Thread.sleep(20);
        }
        fail("closing the port did not detach the program: " + link);
    }

    /** Reads until a frame of {@code etherType} (12: ARP 0x0806) arrives; releases the others. */
    private int receive(final XdpPort port, final int etherType, final long timeoutMs) throws InterruptedException
    {
        final int wanted = etherType == 12 ? 0x0806 : etherType;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline)
        {
            batch.clear();
            port.receive(pool, batch, 16);
            int found = PacketPool.NO_PACKET;
            for (int i = 0; i < batch.count(); i++)
            {
                final int h = batch.get(i);
                final byte[] f = Frames.frameOf(pool, h);
                if (found == PacketPool.NO_PACKET && ((f[12] & 0xff) << 8 | (f[13] & 0xff)) == wanted)
                {
                    found = h;
                }
                else
                {
                    pool.release(h);
                }
            }
            if (found != PacketPool.NO_PACKET)
            {
                return found;
            }
            Thread.sleep(5);
        }
        fail("no frame of type 0x" + Integer.toHexString(wanted) + " within " + timeoutMs + " ms");
        return PacketPool.NO_PACKET;
    }
}
