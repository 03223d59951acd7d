package io.berth.systest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import org.junit.jupiter.api.Assertions;

/**
 * The uplink device as it may be found on a real machine: up, but holding no address at all (IPv6 disabled on
 * it, so not even a link-local one). berthd must take it (the contract: "IFACE … holding no kernel address") and
 * carry traffic over it.
 */
class UplinkOptionsTest
{
    private BerthHost host;

    @AfterEach
    void close()
    {
        if (host != null)
        {
            host.close();
        }
    }

    @Test
    void uplinkWithoutAnyAddressIsAccepted()
    {
        host = BerthHost.start(h ->
        {
            final String out = Uplink.outside(h);
            must(Sh.run("ip", "netns", "add", out));
            must(Sh.run("ip", "-n", out, "link", "set", "lo", "up"));
            must(Sh.run("ip", "-n", out, "link", "add", "eth0", "type", "veth", "peer", "name", Uplink.IFACE, "netns", h.hostNs()));
            must(BerthHost.inNs(h.hostNs(), "sysctl", "-w", "net.ipv6.conf." + Uplink.IFACE + ".disable_ipv6=1"));
            must(Sh.run("ip", "-n", out, "addr", "add", Uplink.OUTSIDE_IP + "/24", "dev", "eth0"));
            must(Sh.run("ip", "-n", out, "link", "set", "eth0", "up"));
            must(Sh.run("ip", "-n", h.hostNs(), "link", "set", Uplink.IFACE, "up"));
        }, List.of("--uplink", Uplink.IFACE, "--uplink-ip", Uplink.UPLINK_CIDR, "--uplink-gateway", Uplink.OUTSIDE_IP));
        final String web = host.run("web", "-p", "12211:8080", "--", "python3", "-u", "-m", "http.server", "8080");
        Net.assertHttpOk(Uplink.outside(host), Uplink.UPLINK_IP, 12211, host);
        Net.assertPings(web, Uplink.OUTSIDE_IP, host);
    }

    private static void must(Result r)
    {
        Assertions.assertEquals(0, r.exit(), () -> "setup command failed\n" + r);
    }
}
