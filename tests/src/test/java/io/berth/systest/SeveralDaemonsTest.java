package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several berthd on one machine, each in its own namespace with its own socket and state dir: they share
 * nothing — the same subnet and network name in both, each with its own containers and traffic. The first
 * takes its socket from BERTH_SOCKET alone.
 */
class SeveralDaemonsTest
{
    @Test
    void twoDaemonsSideBySideShareNothing()
    {
        try (BerthHost one = BerthHost.start(true); BerthHost two = BerthHost.start())
        {
            one.createNetwork("same", "--subnet", "10.120.0.0/24");
            two.createNetwork("same", "--subnet", "10.120.0.0/24");
            two.createNetwork("only2", "--subnet", "10.121.0.0/24");
            final String a1 = one.run("a", "--network", "same");
            final String b1 = one.run("b", "--network", "same");
            final String a2 = two.run("a", "--network", "same");
            final String b2 = two.run("b", "--network", "same");

            assertEquals(List.of("10.120.0.2/24"), Net.ipv4(Net.link(Net.addrs(a1), "eth0")));
            assertEquals(List.of("10.120.0.2/24"), Net.ipv4(Net.link(Net.addrs(a2), "eth0")), "own IPAM per berthd");
            Net.assertPings(a1, "10.120.0.3", one);
            Net.assertPings(b1, "10.120.0.1", one);
            Net.assertPings(a2, "10.120.0.3", two);
            Net.assertTcpEcho(two, b2, a2, "10.120.0.3", 7301);

            final String ls1 = one.berthOk("network", "ls").out();
            assertFalse(ls1.contains("only2"), () -> "berthd one lists two's network:\n" + ls1);
            final String ps1 = one.berthOk("ps").out();
            assertTrue(ps1.contains(a1) && !ps1.contains(a2), () -> "ps of one:\n" + ps1);

            // stopping one leaves two working
            one.stopBerthd();
            Net.assertPings(a2, "10.120.0.3", two);
            Net.assertPings(b2, "10.120.0.1", two);
        }
    }
}
