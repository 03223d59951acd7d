package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** scenarios.md §1: network connect gives a running container a second interface; disconnect takes it away. */
class ConnectDisconnectTest extends SystemTestBase
{
    @Test
    void connectAddsEth1WithoutRestartAndDisconnectRemovesIt()
    {
        host.createNetwork("cnet1", "--subnet", "10.41.0.0/24");
        host.createNetwork("cnet2", "--subnet", "10.42.0.0/24");
        final String vm1 = host.run("vm1", "--network", "cnet1", "--", "sleep", "600");
        final String vm3 = host.run("vm3", "--network", "cnet1");
        final String vm2 = host.run("vm2", "--network", "cnet2", "--", "python3", "-m", "http.server", "8080");
        final long pid = host.inspect(vm1).path("State").path("Pid").asLong();

        Net.assertPings(vm1, "10.41.0.3", host);
        Net.assertNoPing(vm1, "10.42.0.2");

        host.berthOk("network", "connect", "--ip", "10.42.0.50", "cnet2", vm1);

        final JsonNode eth1 = Net.link(Net.addrs(vm1), "eth1");
        assertTrue(eth1 != null, () -> "no eth1 after connect\n" + Net.diag(vm1));
        assertEquals(List.of("10.42.0.50/24"), Net.ipv4(eth1), () -> Net.diag(vm1));
        assertEquals("02:42:0a:2a:00:32", eth1.path("address").asText(), () -> Net.diag(vm1));
        assertEquals(List.of("10.41.0.2/24"), Net.ipv4(Net.link(Net.addrs(vm1), "eth0")), "eth0 unchanged");
        assertEquals(pid, host.inspect(vm1).path("State").path("Pid").asLong(), "same process: no restart");
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the container's process lives on");

        // both networks reachable now
        Net.assertPings(vm1, "10.42.0.2", host);
        Net.assertPings(vm2, "10.42.0.50", host);
        Net.assertHttpOk(vm1, "10.42.0.2", 8080, host);
        Net.assertPings(vm1, "10.41.0.3", host);
        Net.assertPings(vm1, "10.42.0.1", host);
        // vm3 is still on cnet1 only
        Net.assertNoPing(vm3, "10.42.0.2");

        final JsonNode n2 = host.inspectNetwork("cnet2").path("Containers");
        assertEquals("10.42.0.50/24", n2.path(vm1).path("IPv4Address").asText(), n2::toString);
        final JsonNode nets = host.inspect(vm1).path("NetworkSettings").path("Networks");
        assertEquals("eth1", nets.path("cnet2").path("Interface").asText(), nets::toString);
        assertEquals("10.42.0.50", nets.path("cnet2").path("IPAddress").asText(), nets::toString);
        assertEquals("eth0", nets.path("cnet1").path("Interface").asText(), nets::toString);

        host.berthOk("network", "disconnect", "cnet2", vm1);

        assertNull(Net.link(Net.addrs(vm1), "eth1"), () -> "eth1 still there after disconnect\n" + Net.diag(vm1));
        Net.assertNoPing(vm1, "10.42.0.2");
        Net.assertNoTcp(vm1, "10.42.0.2", 8080);
        Net.assertPings(vm1, "10.41.0.3", host);
        assertFalse(host.inspectNetwork("cnet2").path("Containers").has(vm1), "cnet2 no longer lists " + vm1);
        assertFalse(host.inspect(vm1).path("NetworkSettings").path("Networks").has("cnet2"));
        assertEquals(pid, host.inspect(vm1).path("State").path("Pid").asLong(), "same process after disconnect");
    }

    @Test
    void connectWithoutIpTakesFirstFreeAddressAndFreesItOnDisconnect()
    {
        host.createNetwork("dnet1", "--subnet", "10.43.0.0/24");
        host.createNetwork("dnet2", "--subnet", "10.44.0.0/24");
        final String a = host.run("a", "--network", "dnet1");
        final String b = host.run("b", "--network", "dnet2");
        host.berthOk("network", "connect", "dnet2", a);
        assertEquals(List.of("10.44.0.3/24"), Net.ipv4(Net.link(Net.addrs(a), "eth1")), () -> Net.diag(a));
        Net.assertPings(a, "10.44.0.2", host);
        Net.assertPings(b, "10.44.0.3", host);
        host.berthOk("network", "disconnect", "dnet2", a);
        final String c = host.run("c", "--network", "dnet2");
        assertEquals(List.of("10.44.0.3/24"), Net.ipv4(Net.link(Net.addrs(c), "eth0")), "the freed address is reused");
    }
}
