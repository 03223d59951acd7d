package io.berth.control.driver.overlay;

import io.berth.control.error.BerthException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OverlayOptionsTest
{
    @Test
    void defaultsLeaveTheVniToTheStore()
    {
        final Map<String, String> options = OverlayOptions.parse(List.of()).toMap();
        assertEquals(Map.of("vxlan.port", "4789", "mtu", "1450"), options);
        assertEquals(0, OverlayOptions.of(options).vni());
    }

    @Test
    void normalisesPinsAndPeers()
    {
        final OverlayOptions options = OverlayOptions.parse(List.of("com.docker.network.driver.overlay.vxlanid_list=4242",
            "vxlan.port=8472", "vxlan.peers=10.0.0.5, 10.0.0.6,10.0.0.5", "com.docker.network.driver.mtu=1400"));
        assertEquals(Map.of("vni", "4242", "vxlan.port", "8472", "vxlan.peers", "10.0.0.5,10.0.0.6", "mtu", "1400"),
            options.toMap());
        assertEquals(options, OverlayOptions.of(options.toMap()));
    }

    @Test
    void refusesWithWhatWouldBeValid()
    {
        assertMessage("give 1..16777215", "vni=0");
        assertMessage("give 1..16777215", "vni=16777216");
        assertMessage("expected a number", "vni=x");
        assertMessage("4789 (IANA) or 8472", "vxlan.port=1234");
        assertMessage("vxlan.peers", "vxlan.peers=10.0.0");
        assertMessage("expected IP[,IP...]", "vxlan.peers=10.0.0.1,,");
        assertMessage("give 68..8950", "mtu=9000");
        assertMessage("unknown option \"icc\" for an overlay network; valid options: vni=", "icc=false");
        assertMessage("expected KEY=VALUE", "vni");
    }

    private static void assertMessage(final String expected, final String option)
    {
        final BerthException e = assertThrows(BerthException.class, () -> OverlayOptions.parse(List.of(option)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
