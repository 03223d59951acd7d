package io.berth.control.ipam;

import io.berth.control.error.BerthException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4Test
{
    @Test
    void parsesAndFormatsDottedQuads()
    {
        assertEquals(0xAC110001, Ipv4.parse("172.17.0.1", "ip"));
        assertEquals(0xFFFFFFFF, Ipv4.parse("255.255.255.255", "ip"));
        assertEquals(0, Ipv4.parse("0.0.0.0", "ip"));
        assertEquals("192.168.100.2", Ipv4.format(Ipv4.parse("192.168.100.2", "ip")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "01.2.3.4", "1..3.4", "a.b.c.d",
        " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/24", "１.2.3.4"})
    void refusesMalformedAddressesNamingThem(final String text)
    {
        final BerthException ex = assertThrows(BerthException.class, () -> Ipv4.parse(text, "--ip"));
        assertTrue(ex.getMessage().contains("--ip"), ex.getMessage());
        if (!text.isEmpty())
        {
            assertTrue(ex.getMessage().contains(text), ex.getMessage());
        }
    }

    @Test
    void macEncodesTheAddressAfter0242()
    {
        assertEquals("02:42:c0:a8:64:02", Ipv4.formatMac(Ipv4.macFor(Ipv4.parse("192.168.100.2", "ip"))));
        assertEquals("02:42:ac:11:00:01", Ipv4.formatMac(Ipv4.macFor(Ipv4.parse("172.17.0.1", "ip"))));
        assertEquals("02:42:ff:ff:ff:ff", Ipv4.formatMac(Ipv4.macFor(-1)));
    }
}
