package io.berth.control.driver.overlay;

import io.berth.control.error.BerthException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    private static final String KEY = "FLyl0xbLKMlKUCF7aqWrhXZY2VfOTDG0gHk+8ChPPVk=";

    @Test
    void encryptedTakesTheOverheadOffTheMtuAndListsPeersWithTheirKeys()
    {
        final OverlayOptions plain = OverlayOptions.parse(List.of("encrypted"));
        assertTrue(plain.encrypted());
        assertEquals(1390, plain.mtu());
        assertEquals(Map.of("vxlan.port", "4789", "mtu", "1390", "encrypted", "true"), plain.toMap());
        assertEquals(plain, OverlayOptions.of(plain.toMap()));
        assertFalse(OverlayOptions.parse(List.of("encrypted=false")).encrypted());

        final OverlayOptions listed = OverlayOptions.parse(List.of("encrypted=true", "mtu=1300",
            "encrypted.peers=" + KEY + "@10.0.0.5:51999," + KEY + "@10.0.0.6"));
        assertEquals(List.of(new OverlayOptions.ListedPeer(KEY, 0x0A000005, 51999),
            new OverlayOptions.ListedPeer(KEY, 0x0A000006, 51820)), listed.encryptedPeers());
        assertEquals(List.of(0x0A000005, 0x0A000006), listed.peers(), "each listed key's VTEP gets a tunnel");
        assertEquals(1300, listed.mtu());
        assertEquals(listed, OverlayOptions.of(listed.toMap()));
    }

    @Test
    void encryptedOptionsRefusedWithWhatWouldBeValid()
    {
        assertMessage("give encrypted, encrypted=true or encrypted=false", "encrypted=yes");
        assertMessage("add -o encrypted", "encrypted.peers=" + KEY + "@10.0.0.5");
        assertMessages("needs its WireGuard key: add encrypted.peers=PUBKEY@10.0.0.7", "encrypted", "vxlan.peers=10.0.0.7");
        assertMessages("expected PUBKEY@IP[:PORT]", "encrypted", "encrypted.peers=10.0.0.5");
        assertMessages("not base64", "encrypted", "encrypted.peers=not*base64@10.0.0.5");
        assertMessages("16 bytes, a WireGuard key has 32", "encrypted", "encrypted.peers=AAAAAAAAAAAAAAAAAAAAAA==@10.0.0.5");
        assertMessages("encrypted.peers", "encrypted", "encrypted.peers=" + KEY + "@10.0.0");
        assertMessages("give 1..65535", "encrypted", "encrypted.peers=" + KEY + "@10.0.0.5:0");
        assertMessages("give 68..8890 (WireGuard takes 60 more bytes", "encrypted", "mtu=8900");
    }

    private static void assertMessages(final String expected, final String... options)
    {
        final BerthException e = assertThrows(BerthException.class, () -> OverlayOptions.parse(List.of(options)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static void assertMessage(final String expected, final String option)
    {
        final BerthException e = assertThrows(BerthException.class, () -> OverlayOptions.parse(List.of(option)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
