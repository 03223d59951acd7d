package io.berth.l2;

import io.berth.dataplane.BusyPoller;
import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.Frames;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * l2-forward in a LAN network (macvlan, ipvlan L2): nothing learned, containers by static MAC or by address, the rest
 * to the LAN port; from the LAN, only what is a container's. In-memory ports, run on the test thread.
 */
class LanForwardingTest
{
    static final int HOST_IP = ip("169.254.123.1");
    static final long HOST_MAC = mac("02:42:a9:fe:7b:01");
    static final long PARENT_MAC = mac("86:a7:97:7c:6c:f8");
    static final long LAN_HOST_MAC = mac("02:00:00:00:00:10");
    static final long STRANGER_MAC = mac("02:00:00:00:00:99");
    static final int LAN_HOST = ip("192.168.77.10");
    static final int IP_A = ip("192.168.77.128");
    static final int IP_B = ip("192.168.77.129");
    static final long MAC_A = mac("02:42:c0:a8:4d:80");
    static final long MAC_B = mac("02:42:c0:a8:4d:81");

    private final PacketPool pool = new PacketPool(256);
    private final L2Pipeline pipeline = new L2Pipeline(pool, new BusyPoller(), 0);
    private final DataplaneWorker worker = pipeline.worker();
    private final L2Switch l2 = pipeline.l2();
    private MemoryPort lan;
    private MemoryPort a;
    private MemoryPort b;

    @AfterEach
    void noPacketLeaks()
    {
        assertEquals(pool.capacity(), pool.available(), "every packet went back to the pool");
    }

    private void network(final int mode, final boolean icc)
    {
        l2.addDomain(BridgeDomain.lan(0, mode, HOST_IP, HOST_MAC,
            mode == BridgeDomain.MODE_IPVLAN_L2 ? PARENT_MAC : BridgeDomain.NO_MAC, icc));
        lan = new MemoryPort(1, "lan");
        worker.attachPort(lan);
        l2.addLanPort(1, 0);
        final long macA = mode == BridgeDomain.MODE_IPVLAN_L2 ? PARENT_MAC : MAC_A;
        final long macB = mode == BridgeDomain.MODE_IPVLAN_L2 ? PARENT_MAC : MAC_B;
        a = container(2, IP_A, macA);
        b = container(3, IP_B, macB);
    }

    private MemoryPort container(final int id, final int ip, final long mac)
    {
        final MemoryPort port = new MemoryPort(id, "c" + id);
        worker.attachPort(port);
        l2.addPort(id, 0);
        l2.putLanEndpoint(0, id, ip, mac);
        return port;
    }

    private void run()
    {
        int cycles = 0;
        while (worker.doWork() > 0)
        {
            assertTrue(++cycles < 10_000);
        }
    }

    private static void assertNothing(final MemoryPort... ports)
    {
        for (final MemoryPort port : ports)
        {
            assertNull(port.takeTransmitted(), port.name() + " got a frame");
        }
    }

    private long drops(final DropReason reason)
    {
        return pipeline.drops().get(reason);
    }

    @Test
    void macvlanDeliversByStaticMacSendsTheRestToTheLanAndLearnsNothing()
    {
        network(BridgeDomain.MODE_MACVLAN, true);
        // from the LAN to a container that never sent anything (after a restart): its MAC is a static entry
        final byte[] in = Frames.udpFrame(LAN_HOST_MAC, MAC_A, LAN_HOST, IP_A, 1000, 2000, 64);
        lan.inject(in);
        run();
        assertArrayEquals(in, a.takeTransmitted());
        assertNothing(b, lan);
        // container to container: inside berth, not over the wire
        final byte[] ab = Frames.udpFrame(MAC_A, MAC_B, IP_A, IP_B, 1000, 2000, 64);
        a.inject(ab);
        run();
        assertArrayEquals(ab, b.takeTransmitted());
        assertNothing(a, lan);
        // to anyone else: the LAN, however unknown (the LAN's hosts are not learned)
        final byte[] out = Frames.udpFrame(MAC_A, STRANGER_MAC, IP_A, LAN_HOST, 1000, 2000, 64);
        a.inject(out);
        run();
        assertArrayEquals(out, lan.takeTransmitted());
        assertNothing(a, b);
        // a promiscuous parent sees the LAN's own traffic: not for us, and never flooded to containers
        lan.inject(Frames.udpFrame(LAN_HOST_MAC, STRANGER_MAC, LAN_HOST, ip("192.168.77.11"), 1, 2, 64));
        run();
        assertNothing(a, b, lan);
        assertEquals(1, drops(L2Drops.NOT_FOR_US));
        assertEquals(0, l2.macs().size(), "nothing learned");
        // broadcast reaches every member; ARP from a container for the host address is answered here
        final byte[] who = Frames.arpRequest(LAN_HOST_MAC, LAN_HOST, IP_B);
        lan.inject(who);
        run();
        assertArrayEquals(who, a.takeTransmitted());
        assertArrayEquals(who, b.takeTransmitted());
        a.inject(Frames.arpRequest(MAC_A, IP_A, HOST_IP));
        run();
        assertArrayEquals(Frames.arpReply(HOST_MAC, HOST_IP, MAC_A, IP_A), a.takeTransmitted());
        assertNothing(a, b, lan);
        // but the LAN asking for the host address gets nothing from berth (it is flooded to the containers only)
        lan.inject(Frames.arpRequest(LAN_HOST_MAC, LAN_HOST, HOST_IP));
        run();
        a.takeTransmitted();
        b.takeTransmitted();
        assertNothing(lan);
    }

    @Test
    void ipvlanDeliversTheParentsMacByAddressAndAnswersArpForContainersWithIt()
    {
        network(BridgeDomain.MODE_IPVLAN_L2, true);
        final byte[] in = Frames.udpFrame(LAN_HOST_MAC, PARENT_MAC, LAN_HOST, IP_B, 1000, 2000, 64);
        lan.inject(in);
        run();
        assertArrayEquals(in, b.takeTransmitted());
        assertNothing(a, lan);
        // the LAN asks for a container: berth answers with the parent's MAC
        lan.inject(Frames.arpRequest(LAN_HOST_MAC, LAN_HOST, IP_A));
        run();
        assertArrayEquals(Frames.arpReply(PARENT_MAC, IP_A, LAN_HOST_MAC, LAN_HOST), lan.takeTransmitted());
        assertNothing(a, b);
        // a reply to a container's own ARP comes to the parent's MAC: delivered by its target address
        final byte[] reply = Frames.arpReply(LAN_HOST_MAC, LAN_HOST, PARENT_MAC, IP_A);
        lan.inject(reply);
        run();
        assertArrayEquals(reply, a.takeTransmitted());
        // container to container by address
        final byte[] ab = Frames.udpFrame(PARENT_MAC, PARENT_MAC, IP_A, IP_B, 1000, 2000, 64);
        a.inject(ab);
        run();
        assertArrayEquals(ab, b.takeTransmitted());
        assertNothing(a, lan);
        // the parent's MAC, but nobody's address: the parent host's own traffic
        lan.inject(Frames.udpFrame(LAN_HOST_MAC, PARENT_MAC, LAN_HOST, ip("192.168.77.2"), 1, 2, 64));
        run();
        assertNothing(a, b, lan);
        assertEquals(1, drops(L2Drops.NOT_FOR_US));
    }

    @Test
    void privateKeepsContainersApartButLetsThemReachTheLan()
    {
        network(BridgeDomain.MODE_IPVLAN_L2, false);
        a.inject(Frames.udpFrame(PARENT_MAC, PARENT_MAC, IP_A, IP_B, 1000, 2000, 64));
        run();
        assertNothing(a, b, lan);
        assertEquals(1, drops(L2Drops.ISOLATED));
        final byte[] who = Frames.arpRequest(PARENT_MAC, IP_A, LAN_HOST);
        a.inject(who);
        run();
        assertArrayEquals(who, lan.takeTransmitted(), "a container's broadcast reaches the LAN only");
        assertNothing(a, b);
        final byte[] in = Frames.udpFrame(LAN_HOST_MAC, PARENT_MAC, LAN_HOST, IP_A, 1000, 2000, 64);
        lan.inject(in);
        run();
        assertArrayEquals(in, a.takeTransmitted());
    }

    @Test
    void removingAPortForgetsItsEntries()
    {
        network(BridgeDomain.MODE_MACVLAN, true);
        l2.removePort(2);
        final byte[] in = Frames.udpFrame(LAN_HOST_MAC, MAC_A, LAN_HOST, IP_A, 1000, 2000, 64);
        lan.inject(in);
        run();
        assertNothing(a, b, lan);
        assertEquals(1, drops(L2Drops.NOT_FOR_US));
        l2.removePort(1);
        assertEquals(-1, l2.domain(0).lanPort());
    }
}
