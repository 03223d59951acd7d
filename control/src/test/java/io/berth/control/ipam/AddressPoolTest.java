package io.berth.control.ipam;

import io.berth.control.error.BerthException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressPoolTest
{
    private static int ip(final String text)
    {
        return Ipv4.parse(text, "ip");
    }

    private static String next(final AddressPool pool)
    {
        final int address = pool.nextFree();
        pool.take(address);
        return Ipv4.format(address);
    }

    @Test
    void firstFreeUpwardSkippingNetworkAndGateway()
    {
        final AddressPool pool = new AddressPool("n", Cidr.parse("172.17.0.0/16", "s"), null, ip("172.17.0.1"));
        assertEquals("172.17.0.2", next(pool));
        assertEquals("172.17.0.3", next(pool));
        pool.release(ip("172.17.0.2"));
        assertEquals("172.17.0.2", next(pool));
        assertEquals("172.17.0.4", next(pool));
    }

    @Test
    void gatewayInTheMiddleIsSkipped()
    {
        final AddressPool pool = new AddressPool("n", Cidr.parse("10.0.0.0/29", "s"), null, ip("10.0.0.3"));
        assertEquals("10.0.0.1", next(pool));
        assertEquals("10.0.0.2", next(pool));
        assertEquals("10.0.0.4", next(pool));
    }

    @Test
    void allocatesFromTheIpRangeOnly()
    {
        final AddressPool pool = new AddressPool("mybridge0", Cidr.parse("192.168.100.0/24", "s"),
            Cidr.parse("192.168.100.0/26", "s"), ip("192.168.100.1"));
        assertEquals("192.168.100.2", next(pool));
        final AddressPool upper = new AddressPool("n", Cidr.parse("192.168.100.0/24", "s"),
            Cidr.parse("192.168.100.128/25", "s"), ip("192.168.100.1"));
        assertEquals("192.168.100.128", next(upper));
    }

    @Test
    void exhaustionNamesTheRangeAndNetwork()
    {
        final AddressPool pool = new AddressPool("tiny", Cidr.parse("10.0.0.0/30", "s"), null, ip("10.0.0.1"));
        assertEquals("10.0.0.2", next(pool));
        final BerthException ex = assertThrows(BerthException.class, pool::nextFree);
        assertTrue(ex.getMessage().contains("10.0.0.0/30") && ex.getMessage().contains("tiny"), ex.getMessage());
        final AddressPool ranged = new AddressPool("r", Cidr.parse("10.0.0.0/24", "s"),
            Cidr.parse("10.0.0.0/30", "s"), ip("10.0.0.1"));
        assertEquals("10.0.0.2", next(ranged));
        assertEquals("10.0.0.3", next(ranged)); // not the subnet's broadcast, so usable
        assertThrows(BerthException.class, ranged::nextFree);
    }

    @Test
    void pinnedAddressesInsideTheRangeButNotReservedOrTaken()
    {
        final AddressPool pool = new AddressPool("n", Cidr.parse("172.22.0.0/24", "s"),
            Cidr.parse("172.22.0.0/26", "s"), ip("172.22.0.1"));
        pool.checkPinnable(ip("172.22.0.10"));
        final BerthException outOfRange = assertThrows(BerthException.class, () -> pool.checkPinnable(ip("172.22.0.200")));
        assertTrue(outOfRange.getMessage().contains("172.22.0.200") && outOfRange.getMessage().contains("172.22.0.0/26"),
            outOfRange.getMessage()); // the contract refuses --ip outside the range (Docker would take it)
        pool.take(ip("172.22.0.10"));
        assertThrows(BerthException.class, () -> pool.checkPinnable(ip("172.22.0.10")));
        assertThrows(BerthException.class, () -> pool.checkPinnable(ip("172.22.0.1")));
        assertThrows(BerthException.class, () -> pool.checkPinnable(ip("172.22.0.0")));
        assertThrows(BerthException.class, () -> pool.checkPinnable(ip("172.22.0.255")));
        final BerthException outside = assertThrows(BerthException.class, () -> pool.checkPinnable(ip("10.0.0.1")));
        assertTrue(outside.getMessage().contains("10.0.0.1") && outside.getMessage().contains("172.22.0.0/24"));
        assertEquals("172.22.0.2", next(pool));
    }
}
