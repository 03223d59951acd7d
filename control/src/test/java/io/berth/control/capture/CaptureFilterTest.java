package io.berth.control.capture;

import io.berth.control.error.BerthException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.ipv6Frame;
import static io.berth.dataplane.Frames.l4v6;
import static io.berth.dataplane.Frames.mac;
import static io.berth.dataplane.Frames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The capture filter over IPv4 and IPv6 frames (issue 27): host, net, port, protocols, and refusals. */
class CaptureFilterTest
{
    private static final long[] A6 = {0xfd00_0018_0000_0000L, 2};
    private static final long[] B6 = {0x2001_0db8_0000_0000L, 5};
    private static final byte[] UDP6 = ipv6Frame(mac("02:42:ac:12:00:01"), mac("02:42:ac:12:00:02"), A6, B6, 17, 64,
        l4v6(17, 40000, 53, new byte[8]));
    private static final byte[] TCP6 = ipv6Frame(mac("02:42:ac:12:00:01"), mac("02:42:ac:12:00:02"), A6, B6, 6, 64,
        l4v6(6, 40001, 443, new byte[0]));
    private static final byte[] PING6 = ipv6Frame(mac("02:42:ac:12:00:01"), mac("02:42:ac:12:00:02"), A6, B6, 58, 64,
        l4v6(58, 128, 7, new byte[8]));
    private static final byte[] UDP4 = udpFrame(mac("02:42:ac:12:00:02"), mac("02:42:ac:12:00:01"), ip("172.18.0.2"),
        ip("10.0.0.5"), 40000, 53, 80);

    private static boolean matches(final byte[] frame, final String... words)
    {
        return CaptureFilter.parse(List.of(words)).matches(frame);
    }

    @Test
    void ipv6FramesMatchHostNetPortAndProtocols()
    {
        assertTrue(matches(UDP6, "host", "fd00:18::2"));
        assertTrue(matches(UDP6, "host", "2001:db8::5"));
        assertFalse(matches(UDP6, "host", "2001:db8::6"));
        assertTrue(matches(UDP6, "net", "fd00:18::/64"));
        assertFalse(matches(UDP6, "net", "fd00:19::/64"));
        assertTrue(matches(UDP6, "udp", "and", "port", "53"));
        assertTrue(matches(TCP6, "tcp", "port", "443"));
        assertFalse(matches(TCP6, "udp"));
        assertTrue(matches(PING6, "icmp6"));
        assertFalse(matches(PING6, "icmp"));
        assertTrue(matches(UDP6, "ip6"));
        assertFalse(matches(UDP6, "ip"));
        assertFalse(matches(UDP6, "host", "172.18.0.2"), "an IPv4 host never matches IPv6");
        assertTrue(matches(UDP4, "ip", "and", "host", "172.18.0.2", "and", "port", "53"));
        assertFalse(matches(UDP4, "host", "fd00:18::2"));
        assertTrue(matches(UDP4, "not", "ip6"));
    }

    @Test
    void badIpv6ValuesAreRefusedNamingThem()
    {
        final BerthException host = assertThrows(BerthException.class, () -> CaptureFilter.parse(List.of("host",
            "fd00::zz")));
        assertTrue(host.getMessage().contains("fd00::zz"), host.getMessage());
        final BerthException net = assertThrows(BerthException.class, () -> CaptureFilter.parse(List.of("net",
            "fd00::1/64")));
        assertTrue(net.getMessage().contains("fd00::1/64"), net.getMessage());
    }
}
