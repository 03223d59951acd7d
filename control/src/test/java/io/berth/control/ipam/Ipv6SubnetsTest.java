package io.berth.control.ipam;

import io.berth.control.error.BerthException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv6SubnetsTest
{
    private static final Cidr V4 = Cidr.parse("10.1.0.0/24", "subnet");
    private static final int GW4 = Ipv4.parse("10.1.0.1", "gateway");

    @Test
    void parsesFormatsAndComparesPrefixes()
    {
        final Ipv6Cidr cidr = Ipv6Cidr.parse("fd00:1::/64", "subnet");
        assertEquals("fd00:1::/64", cidr.toString());
        assertEquals("fd00:1::2", Ipv6Cidr.format(cidr.hi(), 2));
        assertEquals("2001:db8:0:1:2:3:4:5", Ipv6Cidr.format(0x2001_0db8_0000_0001L, 0x0002_0003_0004_0005L));
        assertEquals("::1", Ipv6Cidr.format(0, 1));
        assertTrue(cidr.contains(cidr.hi(), 7));
        assertTrue(cidr.overlaps(Ipv6Cidr.parse("fd00::/16", "s")));
        assertEquals("link-local (fe80::/10)", Ipv6Cidr.parse("fe80::/64", "s").reserved());
        assertEquals("IPv4-mapped (::ffff:0:0/96)", Ipv6Cidr.parse("::ffff:0:0/112", "s").reserved());
        assertNull(cidr.reserved());
        assertTrue(assertThrows(BerthException.class, () -> Ipv6Cidr.parse("fd00:1::1/64", "subnet")).getMessage()
            .contains("did you mean fd00:1::/64?"));
        assertTrue(assertThrows(BerthException.class, () -> Ipv6Cidr.parseAddress("example.com", "gateway"))
            .getMessage().contains("expected an IPv6 address"), "a name is never looked up");
        assertTrue(assertThrows(BerthException.class, () -> Ipv6Cidr.parse("fd00::/129", "subnet")).getMessage()
            .contains("0..128"));
    }

    @Test
    void planChecksAndPicks()
    {
        assertEquals(Map.of(Ipv6Subnets.SUBNET, "fd00:1::/64", Ipv6Subnets.GATEWAY, "fd00:1::1"),
            Ipv6Subnets.plan("fd00:1::/64", null, V4, GW4, Map.of()));
        assertEquals("fd00:ba:0:2::/64", Ipv6Subnets.plan(null, null, V4, GW4,
            Map.of(Ipv6Cidr.parse("fd00:ba:0:1::/64", "s"), "other")).get(Ipv6Subnets.SUBNET));
        assertEquals("fd00:1::1:0", Ipv6Subnets.plan("fd00:1::/64", "fd00:1::1:0", V4, GW4, Map.of())
            .get(Ipv6Subnets.GATEWAY), "a gateway beyond the IPv4 hosts' range");
        assertEquals("/120", message("fd00:1::/121", null).replaceAll(".*give a (/\\d+).*", "$1"));
        assertTrue(message("fd00:1::/48", null).contains("shorter than /64"));
        assertTrue(message("fd00:1::/64", "fd00:1::9").contains("container at 10.1.0.9"));
        assertTrue(message("ff02::/64", null).contains("multicast"));
        assertArrayEquals(new long[] {0xfd00_0001_0000_0000L, 7},
            Ipv6Subnets.addressOf(Ipv6Cidr.parse("fd00:1::/64", "s"), V4, Ipv4.parse("10.1.0.7", "ip")));
    }

    private static String message(final String subnet, final String gateway)
    {
        return assertThrows(BerthException.class, () -> Ipv6Subnets.plan(subnet, gateway, V4, GW4, Map.of()))
            .getMessage();
    }
}
