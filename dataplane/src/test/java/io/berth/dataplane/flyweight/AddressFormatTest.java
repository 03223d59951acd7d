package io.berth.dataplane.flyweight;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressFormatTest
{
    @Test
    void macParsesAndFormats()
    {
        assertEquals(0x0242_ac11_0002L, EthernetFlyweight.parseMac("02:42:ac:11:00:02"));
        assertEquals(0x0242_AC11_0002L, EthernetFlyweight.parseMac("02:42:AC:11:00:02"));
        assertEquals(0xFFFF_FFFF_FFFFL, EthernetFlyweight.parseMac("ff:ff:ff:ff:ff:ff"));
        assertEquals(0L, EthernetFlyweight.parseMac("00:00:00:00:00:00"));
        assertEquals("02:42:ac:11:00:02", EthernetFlyweight.formatMac(0x0242_ac11_0002L));
        assertEquals("00:00:00:00:00:00", EthernetFlyweight.formatMac(0));
        assertEquals("ff:ff:ff:ff:ff:ff", EthernetFlyweight.formatMac(EthernetFlyweight.BROADCAST));
    }

    @Test
    void macRoundTripsRandomValues()
    {
        final Random random = new Random(42);
        for (int i = 0; i < 10_000; i++)
        {
            final long mac = random.nextLong() & 0xFFFF_FFFF_FFFFL;
            final String text = EthernetFlyweight.formatMac(mac);
            assertEquals(17, text.length(), text);
            assertEquals(mac, EthernetFlyweight.parseMac(text), text);
        }
    }

    @Test
    void malformedMacsAreRejectedNamingTheInput()
    {
        for (final String bad : new String[] {
            "", "02:42:ac:11:00", "02:42:ac:11:00:02:03", "02-42-ac-11-00-02", "0242.ac11.0002",
            "2:42:ac:11:00:02", "002:42:ac:11:00:02", "0g:42:ac:11:00:02", "02:42:ac:11:00:", ":02:42:ac:11:00" })
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> EthernetFlyweight.parseMac(bad), bad);
            assertEquals("invalid MAC address '" + bad + "': expected six hex octets like 02:42:ac:11:00:02", ex.getMessage());
        }
    }

    /** Integer.parseInt accepts a sign: "-1" must not sneak in as an octet (it would set all 64 bits). */
    @Test
    void signedOctetsAreNotHexOctets()
    {
        for (final String bad : new String[] {"00:00:00:00:00:-1", "+2:42:ac:11:00:02", "02:42:ac:11:00:+2"})
        {
            assertThrows(IllegalArgumentException.class, () ->
            {
                final long parsed = EthernetFlyweight.parseMac(bad);
                throw new AssertionError(bad + " parsed as 0x" + Long.toHexString(parsed));
            }, bad);
        }
    }

    @Test
    void ipv4ParsesAndFormats()
    {
        assertEquals(0xAC11_0002, Ipv4Flyweight.parse("172.17.0.2"));
        assertEquals(0, Ipv4Flyweight.parse("0.0.0.0"));
        assertEquals(0xFFFF_FFFF, Ipv4Flyweight.parse("255.255.255.255"));
        assertEquals(0x0A00_0001, Ipv4Flyweight.parse("10.0.0.1"));
        assertEquals("172.17.0.2", Ipv4Flyweight.format(0xAC11_0002));
        assertEquals("255.255.255.255", Ipv4Flyweight.format(-1));
        assertEquals("0.0.0.0", Ipv4Flyweight.format(0));
        final Random random = new Random(7);
        for (int i = 0; i < 10_000; i++)
        {
            final int address = random.nextInt();
            assertEquals(address, Ipv4Flyweight.parse(Ipv4Flyweight.format(address)));
        }
    }

    @Test
    void malformedIpv4IsRejectedNamingTheInput()
    {
        for (final String bad : new String[] {
            "", "172.17.0", "172.17.0.2.1", "172.17..2", "172.17.0.", ".172.17.0", "a.b.c.d", "172.17.0.2/16",
            " 172.17.0.2", "172.17.0.2 ", "-1.17.0.2", "+1.17.0.2", "1722.17.0.2", "0x1.17.0.2" })
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> Ipv4Flyweight.parse(bad), bad);
            assertEquals("invalid IPv4 address '" + bad + "': expected four numbers 0-255 like 172.17.0.2", ex.getMessage());
        }
        final IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> Ipv4Flyweight.parse("172.256.0.2"));
        assertEquals("invalid IPv4 address '172.256.0.2': 256 is not in 0-255", range.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Ipv4Flyweight.parse("999.1.1.1")).getMessage().contains("999"));
    }

    /** Character.isDigit and Integer.parseInt both take non-ASCII digits; an address is ASCII only. */
    @Test
    void nonAsciiDigitsAreNotAnAddress()
    {
        for (final String bad : new String[] {"\uFF11\uFF17\uFF12.17.0.2", "172.17.0.\u0662"})
        {
            assertThrows(IllegalArgumentException.class, () ->
            {
                final int parsed = Ipv4Flyweight.parse(bad);
                throw new AssertionError(bad + " parsed as " + Ipv4Flyweight.format(parsed));
            }, bad);
        }
    }
}
