package io.berth.control.model;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event.PortMapping;
import io.berth.control.ipam.Ipv4;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PortSpecTest
{
    private static final int UPLINK = Ipv4.parse("10.99.0.1", "ip");

    @Test
    void plainTcpIsTheDefault()
    {
        assertEquals(List.of(new PortMapping("tcp", "", 12211, 8080)), PortSpec.parse("12211:8080", UPLINK));
        assertEquals(List.of(new PortMapping("tcp", "", 80, 80)), PortSpec.parse("80:80/tcp", 0));
        assertEquals(List.of(new PortMapping("udp", "", 53, 5353)), PortSpec.parse("53:5353/udp", UPLINK));
    }

    @Test
    void hostAddressForms()
    {
        assertEquals("", PortSpec.parse("0.0.0.0:80:80", UPLINK).get(0).hostIp());
        assertEquals("127.0.0.1", PortSpec.parse("127.0.0.1:8080:80", UPLINK).get(0).hostIp());
        assertEquals("127.0.0.1", PortSpec.parse("127.0.0.1:8080:80/udp", 0).get(0).hostIp());
        assertEquals("10.99.0.1", PortSpec.parse("10.99.0.1:8080:80", UPLINK).get(0).hostIp());
    }

    @Test
    void rangesExpandPortByPort()
    {
        final List<PortMapping> ports = PortSpec.parse("8000-8002:9000-9002/udp", UPLINK);
        assertEquals(List.of(new PortMapping("udp", "", 8000, 9000), new PortMapping("udp", "", 8001, 9001),
            new PortMapping("udp", "", 8002, 9002)), ports);
        assertEquals(1, PortSpec.parse("8000-8000:80-80", UPLINK).size());
        assertEquals(65535, PortSpec.parse("1-65535:1-65535", UPLINK).size());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0:80|host port 0 is out of range",
        "80:0|container port 0 is out of range",
        "65536:80|host port 65536 is out of range",
        "80:70000|container port 70000 is out of range",
        "99999:80|out of range",
        "8000-8010:80|ranges must have the same length",
        "8000-8010:9000-9001|ranges must have the same length",
        "8010-8000:9010-9000|ends before it starts",
        "80:90-85|ends before it starts",
        "80:80/sctp|unknown protocol \"sctp\"; valid: tcp, udp",
        "80:80/TCP|unknown protocol",
        "80:80/|unknown protocol \"\"",
        "80|give the host port",
        ":80|give the host port",
        "127.0.0.1::80|give the host port",
        "a:80|host port \"a\" is not a number",
        "80:b|container port \"b\" is not a number",
        "-1:80|is not a number",
        "80:80:80:80|malformed",
        "80-:80-|is not a number",
        "1.2.3.4:80:80|host address 1.2.3.4 is not one of berthd's; valid host addresses: 0.0.0.0",
        "10.99.0.2:80:80|10.99.0.2 is not one of berthd's",
        "localhost:80:80|\"localhost\" is not an IPv4 address",
        "127.0.0.01:80:80|is not an IPv4 address",
        "[fd00:5::9]:80:80|host address [fd00:5::9] is not one of berthd's; valid host addresses: 0.0.0.0",
        "[::1:80:80|an IPv6 host address is written [ADDRESS]:HOSTPORT:CONTAINERPORT",
        "[::]80:80|an IPv6 host address is written",
        "[zz::1]:80:80|host address [zz::1] is not an IPv6 address",
        "[::]:80|give the host port",
        "[::]:1:80:80|malformed",
        "' 80:80'|is not a number",
    })
    void badSpecsAreRefusedNamingTheValue(final String spec, final String expected)
    {
        final BerthException ex = assertThrows(BerthException.class, () -> PortSpec.parse(spec, UPLINK));
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
        assertTrue(ex.getMessage().contains(spec), "names the spec: " + ex.getMessage());
    }

    @Test
    void emptyAndUplinkAddressWithoutUplink()
    {
        assertTrue(assertThrows(BerthException.class, () -> PortSpec.parse("", UPLINK)).getMessage()
            .contains("expected [HOSTIP:]HOSTPORT"));
        final BerthException ex = assertThrows(BerthException.class, () -> PortSpec.parse("10.99.0.1:80:80", 0));
        assertTrue(ex.getMessage().contains("berthd has no uplink"), ex.getMessage());
        assertTrue(ex.getMessage().contains("127.0.0.1"), ex.getMessage());
    }

    @Test
    void ipv6HostAddresses()
    {
        final long[] uplink6 = {0xfd00_0099_0000_0000L, 1};
        assertEquals(List.of(new PortMapping("tcp", "::", 8080, 80)), PortSpec.parse("[::]:8080:80", UPLINK, uplink6));
        assertEquals("::1", PortSpec.parse("[::1]:8080:80/udp", UPLINK, null).get(0).hostIp());
        assertEquals("fd00:99::1", PortSpec.parse("[fd00:0099:0::1]:8080:80", UPLINK, uplink6).get(0).hostIp());
        assertEquals(3, PortSpec.parse("[::]:8000-8002:9000-9002", UPLINK, uplink6).size());
        final BerthException ex = assertThrows(BerthException.class,
            () -> PortSpec.parse("[fd00:99::1]:8080:80", UPLINK, null));
        assertTrue(ex.getMessage().contains("not one of berthd's"), ex.getMessage());
        assertTrue(PortSpec.parse("[fd00:99::1]:8080:80", UPLINK, uplink6).stream().allMatch(PortSpec::onUplink6));
        assertFalse(PortSpec.onUplink6(new PortMapping("tcp", "::1", 80, 80)));
        assertTrue(PortSpec.onUplink6(new PortMapping("tcp", "", 80, 80)));
    }

    @Test
    void overlapIsPerProtocolPortAndAddressWithWildcard()
    {
        final PortMapping all = new PortMapping("tcp", "", 80, 80);
        final PortMapping loop = new PortMapping("tcp", "127.0.0.1", 80, 81);
        final PortMapping up = new PortMapping("tcp", "10.99.0.1", 80, 82);
        assertTrue(PortSpec.overlaps(all, loop));
        assertTrue(PortSpec.overlaps(up, all));
        assertFalse(PortSpec.overlaps(loop, up));
        assertTrue(PortSpec.overlaps(loop, new PortMapping("tcp", "127.0.0.1", 80, 99)));
        assertFalse(PortSpec.overlaps(all, new PortMapping("udp", "", 80, 80)));
        assertFalse(PortSpec.overlaps(all, new PortMapping("tcp", "", 81, 80)));
        // [::] overlaps every IPv6 address, 0.0.0.0 every address of both families; the loopbacks are apart
        final PortMapping all6 = new PortMapping("tcp", "::", 80, 80);
        final PortMapping loop6 = new PortMapping("tcp", "::1", 80, 80);
        assertTrue(PortSpec.overlaps(all6, loop6));
        assertTrue(PortSpec.overlaps(all, loop6));
        assertTrue(PortSpec.overlaps(new PortMapping("tcp", "fd00:99::1", 80, 80), all6));
        assertFalse(PortSpec.overlaps(all6, loop));
        assertFalse(PortSpec.overlaps(loop6, loop));
    }
}
