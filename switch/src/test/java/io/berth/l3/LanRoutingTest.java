package io.berth.l3;

import org.junit.jupiter.api.Test;

import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The router's view of LAN networks: only their containers are berth's, several subnets, a LAN router port. */
class LanRoutingTest
{
    private final Router router = new Router();

    @Test
    void aLanNetworkHoldsOnlyItsContainersAddressesSoTheRestOfItsSubnetIsTheLans()
    {
        router.uplink(1, ip("192.168.77.2"), 24, mac("02:00:00:00:00:02"), ip("192.168.77.1"));
        router.addLanDomain(3, ip("192.168.77.0"), 24, ip("169.254.123.1"), mac("02:42:a9:fe:7b:01"));
        assertEquals(Router.NONE, router.domainOf(ip("192.168.77.10")), "a LAN host is outside");
        router.putNeighbor(ip("192.168.77.130"), 5, mac("02:42:c0:a8:4d:82"));
        assertEquals(3, router.domainOf(ip("192.168.77.130")), "a container is the network's");
        assertTrue(router.isInternal(3));
        assertTrue(router.isLan(3));
        assertFalse(router.isLocal(ip("169.254.123.1")), "the host's address is not berth's");
    }

    @Test
    void anL3NetworkHasSeveralSubnetsAndARouterPortOnItsLan()
    {
        router.addLanDomain(4, ip("10.66.1.0"), 24, ip("192.168.79.2"), mac("86:a7:97:7c:6c:f8"));
        router.putNeighbor(ip("10.66.1.2"), 6, mac("86:a7:97:7c:6c:f8"));
        router.putNeighbor(ip("10.66.2.5"), 7, mac("86:a7:97:7c:6c:f8"));
        assertEquals(Router.NONE, router.domainOf(ip("10.66.2.5")), "not a subnet of the network yet");
        router.addSubnet(4, ip("10.66.2.0"), 24);
        assertEquals(4, router.domainOf(ip("10.66.2.5")));
        router.lanRouter(9, 4, ip("192.168.79.2"), 24, mac("86:a7:97:7c:6c:f8"), ip("192.168.79.1"));
        assertEquals(9, router.lanRouterOf(4));
        assertTrue(router.isLanRouter(9));
        assertTrue(router.isRoutedPort(9));
        assertTrue(router.isLocal(ip("192.168.79.2")), "berth owns parent_ip");
        assertEquals(ip("192.168.79.11"), router.lanNextHop(9, ip("192.168.79.11")), "on the link");
        assertEquals(ip("192.168.79.1"), router.lanNextHop(9, ip("8.8.8.8")), "beyond: its gateway");
        router.isolate(4, true);
        assertTrue(router.isIsolated(4));

        router.removeDomain(4);
        assertFalse(router.isLanRouter(9));
        assertFalse(router.isLocal(ip("192.168.79.2")));
        assertEquals(Router.NONE, router.lanRouterOf(4));
        assertEquals(Router.NONE, router.domainOf(ip("10.66.2.5")));
    }
}
