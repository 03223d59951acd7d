package io.berth.tap;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real TAP devices in real namespaces, with the kernel as the peer. Needs root and /dev/net/tun (skipped
 * otherwise, failed when CI=true). Traffic goes only to 192.0.2.0/24 inside namespaces created here.
 */
class TapKernelTest
{
    private static final byte[] PEER_MAC = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02}; // locally administered
    private static final byte[] SANDBOX_IP = Frames.ip(192, 0, 2, 1);
    private static final byte[] PEER_IP = Frames.ip(192, 0, 2, 2);

    private Kernel kernel;
    private final PacketPool pool = new PacketPool(64);
    private final PacketBatch batch = new PacketBatch();

    @BeforeEach
    void setUp()
    {
        Kernel.requireRootAndTun();
        kernel = new Kernel();
    }

    @AfterEach
    void tearDown() throws IOException
    {
        if (kernel != null)
        {
            kernel.close();
        }
    }

    /** A TAP created here, then moved into a fresh namespace as eth0 192.0.2.1/24 and brought up. */
    private record Sandbox(String ns, TapPort port, byte[] mac)
    {
    }

    private Sandbox sandbox(final boolean persistent) throws IOException
    {
        final String ns = kernel.namespace();
        final String dev = kernel.device(Kernel.uniqueName('t'));
        final TapPort port = TapPort.open(3, dev, false);
        kernel.onClose(port::close);
        assertEquals(dev, port.name());
        if (persistent)
        {
            TapDevice.setPersistent(port.fd(), true);
        }
        final byte[] mac = Kernel.plumbAsEth0(dev, ns);
        assertEquals("eth0", TapDevice.name(port.fd()), "the fd follows the device into the namespace");
        return new Sandbox(ns, port, mac);
    }

    private Process pingPeer(final String ns) throws IOException
    {
        final Process ping = new ProcessBuilder("ip", "netns", "exec", ns, "ping", "-c1", "-W1", "192.0.2.2")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        kernel.onClose(() ->
        {
            ping.destroy();
            try
            {
                ping.waitFor(5, TimeUnit.SECONDS);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        });
        return ping;
    }

    /** Reads until an ARP frame arrives; returns its handle (owned by the caller) and releases everything else. */
    private int receiveArp(final Port port, final long timeoutMs) throws InterruptedException
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

    private void assertArpRequestFrom(final Sandbox s, final int h)
    {
        final byte[] expected = Frames.arp(1, Frames.BROADCAST, s.mac(), s.mac(), SANDBOX_IP, new byte[6], PEER_IP);
        assertArrayEquals(expected, Frames.frameOf(pool, h), "the kernel's ARP request for 192.0.2.2");
        assertArrayEquals(new byte[PacketPool.VNET_HDR_LEN], Frames.vnetOf(pool, h), "no offload on ARP");
        assertEquals(s.port().id(), pool.inPort(h));
    }

    private void replyAndAssertLearned(final Sandbox s) throws Exception
    {
        final int reply = Frames.packet(pool,
            Frames.arp(2, s.mac(), PEER_MAC, PEER_MAC, PEER_IP, s.mac(), SANDBOX_IP));
        assertTrue(s.port().transmit(pool, reply));
        pool.release(reply);
        assertEquals(1, s.port().counters().get(PortCounters.TX_PACKETS));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        String neigh = "";
        while (System.nanoTime() < deadline)
        {
            neigh = Kernel.sh("ip", "-n", s.ns(), "neigh", "show", "192.0.2.2", "dev", "eth0");
            if (neigh.contains("lladdr 02:00:5e:10:00:02"))
            {
                return;
            }
            Thread.sleep(20);
        }
        fail("kernel did not learn 192.0.2.2 from our ARP reply: " + neigh);
    }

    @Test
    void arpRequestOutAndReplyIn() throws Exception
    {
        final Sandbox s = sandbox(false);
        pingPeer(s.ns());
        final int h = receiveArp(s.port(), 5000);
        assertArpRequestFrom(s, h);
        assertEquals(Frames.ARP_FRAME_LENGTH, pool.frameLength(h));
        pool.release(h);
        assertTrue(s.port().counters().get(PortCounters.RX_PACKETS) >= 1);
        assertEquals(0, s.port().counters().get(PortCounters.RX_ERRORS));
        replyAndAssertLearned(s);
    }

    @Test
    void epollReportsTheTapWhenTheKernelSends() throws Exception
    {
        final Sandbox s = sandbox(false);
        try (EpollPoller poller = new EpollPoller())
        {
            poller.register(s.port());
            final List<Port> ready = new ArrayList<>();
            assertEquals(0, poller.poll(50, ready::add), "nothing sent yet");
            pingPeer(s.ns());
            assertEquals(1, poller.poll(5000, ready::add));
            assertSame(s.port(), ready.get(0));
            pool.release(receiveArp(s.port(), 1000));
            poller.unregister(s.port());
        }
    }

    @Test
    void persistentTapIsReopenedInsideItsNamespaceByName() throws Exception
    {
        final Sandbox s = sandbox(true);
        final String ns = s.ns();
        kernel.onClose(() -> reopenAndClearPersist(ns));
        s.port().close(); // "berthd exits": the persistent device stays
        assertTrue(Kernel.linkExists(ns, "eth0"));

        // TUNSETIFF looks names up in the caller's namespace: outside the sandbox there is no such eth0 to attach to
        final String before = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        final TapPort reopened = NetNamespace.run(ns, () -> TapPort.open(4, "eth0", true));
        kernel.onClose(reopened::close);
        assertEquals(before, Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString(),
            "the thread is back in its own namespace");
        assertEquals("eth0", reopened.name());

        // and in the sandbox a second open of the taken name fails precisely
        final IOException busy = assertThrows(IOException.class,
            () -> NetNamespace.run(ns, () -> TapDevice.open("eth0", false)));
        assertTrue(busy.getMessage().contains("TUNSETIFF") && busy.getMessage().contains("eth0")
            && busy.getMessage().contains("EBUSY"), busy.getMessage());

        // the re-attached fd carries traffic both ways
        final Sandbox again = new Sandbox(ns, reopened, s.mac());
        pingPeer(ns);
        final int h = receiveArp(reopened, 5000);
        assertArpRequestFrom(again, h);
        pool.release(h);
        replyAndAssertLearned(again);
    }

    private static void reopenAndClearPersist(final String ns)
    {
        try
        {
            NetNamespace.run(ns, () ->
            {
                final int fd = TapDevice.open("eth0", true);
                TapDevice.setPersistent(fd, false);
                Natives.close(fd); // last fd of a non-persistent tap: the device goes
                return null;
            });
        }
        catch (final IOException | RuntimeException ignored)
        {
            // already gone, or still attached: Kernel.close deletes it with ip link del
        }
    }

    @Test
    void persistenceOutlivesTheFdUntilCleared() throws Exception
    {
        final String dev = kernel.device(Kernel.uniqueName('p'));
        final int fd = TapDevice.open(dev, false);
        kernel.onClose(() -> Natives.close(fd));
        TapDevice.setPersistent(fd, true);
        final IOException taken = assertThrows(IOException.class, () -> TapDevice.open(dev, true));
        assertTrue(taken.getMessage().contains("EBUSY"), taken.getMessage());
        Natives.close(fd);
        assertTrue(Kernel.linkExists(null, dev));
        final IOException exclusive = assertThrows(IOException.class, () -> TapDevice.open(dev, false));
        assertTrue(exclusive.getMessage().contains("EBUSY"), exclusive.getMessage());
        final int again = TapDevice.open(dev, true);
        assertEquals(dev, TapDevice.name(again));
        TapDevice.setPersistent(again, false);
        Natives.close(again);
        assertFalse(Kernel.linkExists(null, dev));
    }

    @Test
    void kernelChosenName() throws Exception
    {
        final int fd = TapDevice.open(null, false);
        kernel.onClose(() -> Natives.close(fd));
        final String name = TapDevice.name(fd);
        assertTrue(name.startsWith("tap"), name);
    }

    @Test
    void receiveAndTransmitAllocateNothingInSteadyState() throws Exception
    {
        final Sandbox s = sandbox(false);
        final TapPort port = s.port();
        // "who has 192.0.2.1?" from the peer: the kernel answers each one, so both the write path and the
        // successful read path (not only EAGAIN) run in the measured loop
        final int request = Frames.packet(pool,
            Frames.arp(1, Frames.BROADCAST, PEER_MAC, PEER_MAC, PEER_IP, new byte[6], SANDBOX_IP));

        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        long allocated = -1;
        for (int round = 0; round < 5 && allocated != 0; round++) // first rounds warm up the JIT
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++)
            {
                port.transmit(pool, request);
                batch.clear();
                port.receive(pool, batch, 8);
                for (int j = 0; j < batch.count(); j++)
                {
                    pool.release(batch.get(j));
                }
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertEquals(0, allocated, "bytes allocated by 10k transmit+receive");
        assertEquals(0, port.counters().get(PortCounters.TX_ERRORS));
        assertEquals(0, port.counters().get(PortCounters.RX_ERRORS));
        assertTrue(port.counters().get(PortCounters.TX_PACKETS) >= 10_000);
        assertTrue(port.counters().get(PortCounters.RX_PACKETS) >= 1_000,
            "the kernel's replies were read: " + port.counters().get(PortCounters.RX_PACKETS));
    }
}
