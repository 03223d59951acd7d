package io.berth.control.dataplane;

import io.berth.conntrack.ConnState;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataplaneOptionsTest
{
    @Test
    void timeoutsByLinuxNames()
    {
        final DataplaneOptions options = DataplaneOptions.parse(1000,
            List.of("udp=5", "udp_stream=60", "icmp=3", "tcp_established=600", "tcp_time_wait=10",
                "tcp_unacknowledged=45"), 50);
        assertEquals(1000, options.conntrackMax());
        assertEquals(50, options.spinMicros());
        assertEquals(5_000, options.timeouts().udpMillis(false));
        assertEquals(60_000, options.timeouts().udpMillis(true));
        assertEquals(3_000, options.timeouts().icmpMillis());
        assertEquals(600_000, options.timeouts().tcpMillis(ConnState.ESTABLISHED));
        assertEquals(10_000, options.timeouts().tcpMillis(ConnState.TIME_WAIT));
        assertEquals(45_000, options.timeouts().tcpUnacknowledgedMillis());
    }

    @Test
    void spinIsAutoByDefaultOrFixedMicros()
    {
        assertEquals(DataplaneOptions.DEFAULT_SPIN_MICROS, DataplaneOptions.parseSpin("auto"));
        assertEquals(DataplaneOptions.DEFAULT_SPIN_MICROS, DataplaneOptions.parseSpin(null));
        assertEquals(10_000, DataplaneOptions.parseSpin("10000"));
        assertEquals(0, DataplaneOptions.parseSpin("0"));
        for (final String bad : List.of("-1", "2000000", "fast", ""))
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> DataplaneOptions.parseSpin(bad));
            assertTrue(ex.getMessage().contains("--spin-us " + bad) && ex.getMessage().contains("auto"), ex.getMessage());
        }
    }

    @Test
    void badSettingsNameTheValueAndWhatIsValid()
    {
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
            () -> DataplaneOptions.parse(1000, List.of("tcp_open=5"), 0));
        assertTrue(unknown.getMessage().contains("tcp_open") && unknown.getMessage().contains("tcp_established"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataplaneOptions.parse(1000, List.of("udp"), 0));
        assertThrows(IllegalArgumentException.class, () -> DataplaneOptions.parse(1000, List.of("udp=x"), 0));
        final IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
            () -> DataplaneOptions.parse(1000, List.of("udp=0"), 0));
        assertTrue(zero.getMessage().contains("udp=0"), zero.getMessage());
        final IllegalArgumentException max = assertThrows(IllegalArgumentException.class,
            () -> DataplaneOptions.parse(0, List.of(), 0));
        assertTrue(max.getMessage().contains("--conntrack-max 0"), max.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataplaneOptions.parse(10, List.of(), -2));
        final IllegalArgumentException age = assertThrows(IllegalArgumentException.class,
            () -> DataplaneOptions.defaults().withMacAge(0));
        assertTrue(age.getMessage().contains("--mac-age 0") && age.getMessage().contains("1.."), age.getMessage());
    }

    @Test
    void macAgeDefaultsToTheKernelBridgesAndCanBeSet()
    {
        assertEquals(300, DataplaneOptions.defaults().macAgeSeconds());
        assertEquals(3, DataplaneOptions.defaults().withFragMax(8).withMacAge(3).withOverlay(true).macAgeSeconds());
    }

    @Test
    void workersAreOneToSixtyFourAndABadCountNamesWhatIsValid()
    {
        assertEquals(1, DataplaneOptions.checkWorkers(1));
        assertEquals(2, DataplaneOptions.checkWorkers(2));
        for (final int bad : new int[] {0, -1, 65})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> DataplaneOptions.checkWorkers(bad));
            assertTrue(ex.getMessage().contains("--workers " + bad) && ex.getMessage().contains("1 to 64"), ex.getMessage());
        }
    }
}
