package io.berth.control.ipam;

import io.berth.control.error.BerthException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CidrTest
{
    @Test
    void parsesCanonicalPrefixes()
    {
        final Cidr cidr = Cidr.parse("192.168.100.0/24", "subnet");
        assertEquals(0xC0A86400, cidr.network());
        assertEquals(24, cidr.prefixLength());
        assertEquals("192.168.100.255", Ipv4.format(cidr.last()));
        assertEquals("192.168.100.1", Ipv4.format(cidr.firstHost()));
        assertEquals("0.0.0.0/0", Cidr.parse("0.0.0.0/0", "subnet").toString());
        assertEquals("10.1.2.3/32", Cidr.parse("10.1.2.3/32", "subnet").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "192.168.100.0", "192.168.100.0/", "192.168.100.0/33", "192.168.100.0/-1",
        "192.168.100.0/024", "192.168.100.0/2a", "192.168.100/24", "192.168.100.0/24/1", "300.0.0.0/8", "a/8"})
    void refusesMalformedCidrsNamingThem(final String text)
    {
        final BerthException ex = assertThrows(BerthException.class, () -> Cidr.parse(text, "subnet"));
        assertTrue(ex.getMessage().contains("subnet"), ex.getMessage());
        assertTrue(ex.getMessage().contains(text), ex.getMessage());
    }

    @Test
    void refusesHostBitsAndSuggestsTheNetwork()
    {
        final BerthException ex = assertThrows(BerthException.class, () -> Cidr.parse("192.168.100.5/24", "subnet"));
        assertTrue(ex.getMessage().contains("192.168.100.0/24"), ex.getMessage());
    }

    @Test
    void containmentAndOverlap()
    {
        final Cidr subnet = Cidr.parse("192.168.100.0/24", "s");
        final Cidr range = Cidr.parse("192.168.100.0/26", "s");
        final Cidr other = Cidr.parse("192.168.101.0/24", "s");
        assertTrue(subnet.contains(range));
        assertFalse(range.contains(subnet));
        assertTrue(subnet.overlaps(range));
        assertTrue(range.overlaps(subnet));
        assertFalse(subnet.overlaps(other));
        assertTrue(Cidr.parse("192.168.0.0/16", "s").overlaps(other));
        assertTrue(subnet.contains(Ipv4.parse("192.168.100.200", "ip")));
        assertFalse(range.contains(Ipv4.parse("192.168.100.64", "ip")));
    }

    @Test
    void defaultSubnetsFollowDockersOrderAndSkipOverlaps()
    {
        assertEquals("172.17.0.0/16", DefaultSubnets.firstFree(List.of()).toString());
        assertEquals("172.18.0.0/16", DefaultSubnets.firstFree(List.of(DefaultSubnets.BRIDGE)).toString());
        assertEquals("172.20.0.0/16", DefaultSubnets.firstFree(List.of(DefaultSubnets.BRIDGE,
            Cidr.parse("172.18.0.0/16", "s"), Cidr.parse("172.19.5.0/24", "s"))).toString());
        final List<Cidr> all172 = DefaultSubnets.candidates().subList(0, 15);
        assertEquals("192.168.0.0/20", DefaultSubnets.firstFree(all172).toString());
        assertEquals(15 + 16, DefaultSubnets.candidates().size());
        assertEquals("192.168.240.0/20", DefaultSubnets.candidates().get(30).toString());
        assertThrows(BerthException.class, () -> DefaultSubnets.firstFree(List.of(Cidr.parse("0.0.0.0/0", "s"))));
    }
}
