package io.berth.control.state;

import io.berth.control.dataplane.EndpointSpec;
import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;
import io.berth.control.journal.ChronicleJournal;
import io.berth.control.journal.Journal;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlServiceTest
{
    @TempDir
    Path stateDir;

    private FakeDataplane dataplane;
    private FakeSandboxes sandboxes;
    private MemoryJournal journal;
    private ControlService service;

    @BeforeEach
    void start()
    {
        dataplane = new FakeDataplane();
        sandboxes = new FakeSandboxes();
        journal = new MemoryJournal();
        service = newService(journal, dataplane, sandboxes);
        assertTrue(service.restore().isEmpty());
    }

    private ControlService newService(final Journal journal, final FakeDataplane dataplane,
        final FakeSandboxes sandboxes)
    {
        return new ControlService(new State(), journal, dataplane, sandboxes, stateDir, new Ids(),
            Clock.systemUTC());
    }

    private static NetworkRequest net(final String name, final String subnet, final String ipRange,
        final String gateway, final String... options)
    {
        return new NetworkRequest(name, null, subnet, ipRange, gateway, false, List.of(options));
    }

    private EndpointSpec portOf(final String sandbox, final String ifName)
    {
        return dataplane.ports.values().stream()
            .filter(spec -> spec.sandbox().equals(sandbox) && spec.ifName().equals(ifName)).findFirst().orElseThrow();
    }

    /** Everything a refused request must leave as it was. */
    private String snapshot()
    {
        final State state = service.state();
        return state.networks().stream().map(n -> n.name() + "/" + n.subnet() + "/" +
                (n.addresses() == null ? 0 : n.addresses().inUse())).collect(Collectors.joining(",")) + " | " +
            state.containers().stream().map(c -> c.name() + c.endpoints()).collect(Collectors.joining(",")) + " | " +
            journal.stateChanges() + " | " + dataplane.networks.keySet() + " | " + dataplane.ports.keySet() +
            " | " + sandboxes.namespaces.stream().sorted().toList() + " | " + sandboxes.running;
    }

    private void assertRefusedWithoutChange(final String expectedInMessage, final Executable request)
    {
        final String before = snapshot();
        final BerthException ex = assertThrows(BerthException.class, request);
        assertTrue(ex.getMessage().contains(expectedInMessage), "message \"" + ex.getMessage() + "\" lacks \"" +
            expectedInMessage + "\"");
        assertEquals(before, snapshot(), "state changed by a refused request");
    }

    @Test
    void firstStartCreatesTheDefaultNetworksOnce()
    {
        final Network bridge = service.state().network("bridge");
        assertEquals("172.17.0.0/16", bridge.subnet().toString());
        assertEquals("172.17.0.1", Ipv4.format(bridge.gateway()));
        assertEquals(0, segmentOf("bridge"), "the default network is the first segment");
        assertEquals("local", bridge.scope().text());
        assertTrue(bridge.isPredefined());
        assertEquals(0xAC110001, dataplane.networks.get(0).gatewayIp());
        assertEquals(0x0242AC110001L, dataplane.networks.get(0).gatewayMac());
        assertEquals("host", service.state().network("host").driver());
        assertEquals("null", service.state().network("none").driver());
        assertEquals(3, journal.entries.size());
    }

    @Test
    void networksWithoutSubnetTakeTheNextFreeDefaultSubnet()
    {
        assertEquals("172.18.0.0/16", service.networks().createNetwork(net("a", null, null, null)).subnet().toString());
        service.networks().createNetwork(net("fixed", "172.19.128.0/24", null, null));
        final Network c = service.networks().createNetwork(net("c", null, null, null));
        assertEquals("172.20.0.0/16", c.subnet().toString());
        assertEquals("172.20.0.1", Ipv4.format(c.gateway()));
        assertEquals(3, segmentOf("c"));
        service.networks().removeNetwork("a");
        final Network d = service.networks().createNetwork(net("d", null, null, null));
        assertEquals("172.18.0.0/16", d.subnet().toString());
        assertEquals(1, segmentOf("d"), "freed segment ids are reused");
    }

    @Test
    void scenarioMybridge0()
    {
        service.networks().createNetwork(net("mybridge0", "192.168.100.0/24", "192.168.100.0/26", "192.168.100.1"));
        final Container vm1 = service.containers().run("vm1", "mybridge0", null, List.of("sleep", "100"));
        final Endpoint eth0 = vm1.endpoints().iterator().next();
        assertEquals("192.168.100.2", Ipv4.format(eth0.ip()));
        assertEquals("02:42:c0:a8:64:02", Ipv4.formatMac(eth0.mac()));
        final EndpointSpec spec = portOf("vm1", "eth0");
        assertEquals(24, spec.prefixLength());
        assertEquals(Ipv4.parse("192.168.100.1", "ip"), spec.gatewayIp());
        assertTrue(spec.defaultRoute());
        assertEquals(1500, spec.mtu());
        assertTrue(spec.deviceName().length() <= 15 && spec.deviceName().startsWith("bt"));
        assertTrue(sandboxes.exists("vm1"));
        assertTrue(service.isRunning(vm1));
    }

    @Test
    void defaultNetworkAndPinnedAddresses()
    {
        final Container a = service.containers().run("a", null, null, List.of());
        assertEquals("172.17.0.2", Ipv4.format(a.endpoints().iterator().next().ip()));
        assertFalse(service.isRunning(a));
        service.networks().createNetwork(net("my_net2", "172.22.0.0/24", null, "172.22.0.1", "mtu=9000", "icc=false"));
        final Container b = service.containers().run("b", "my_net2", "172.22.0.10", List.of());
        assertEquals("172.22.0.10", Ipv4.format(b.endpoints().iterator().next().ip()));
        assertEquals(9000, portOf("b", "eth0").mtu());
        assertFalse(dataplane.networks.get(1).icc());
        final Container c = service.containers().run("c", "my_net2", null, List.of());
        assertEquals("172.22.0.2", Ipv4.format(c.endpoints().iterator().next().ip()));
    }

    @Test
    void connectGivesEth1AndDisconnectTakesItAway()
    {
        service.networks().createNetwork(net("n2", "172.22.0.0/24", null, null));
        final Container vm1 = service.containers().run("vm1", null, null, List.of("sleep", "1"));
        final Endpoint eth1 = service.containers().connect("n2", "vm1", null);
        assertEquals("eth1", eth1.ifName());
        assertEquals("172.22.0.2", Ipv4.format(eth1.ip()));
        assertFalse(portOf("vm1", "eth1").defaultRoute());
        service.containers().disconnect("bridge", "vm1");
        assertEquals(1, vm1.endpoints().size());
        final Endpoint again = service.containers().connect("bridge", "vm1", null);
        assertEquals("eth0", again.ifName(), "the lowest free ethN");
        assertEquals("172.17.0.2", Ipv4.format(again.ip()), "the freed address comes back");
        assertEquals(2, dataplane.ports.size());
    }

    @Test
    void removeFreesEverything()
    {
        service.networks().createNetwork(net("n", "10.9.0.0/24", null, null));
        service.containers().run("vm1", "n", null, List.of("sleep", "1"));
        assertRefusedWithoutChange("running", () -> service.containers().remove("vm1", false));
        assertRefusedWithoutChange("vm1", () -> service.networks().removeNetwork("n"));
        service.containers().remove("vm1", true);
        assertTrue(dataplane.ports.isEmpty());
        assertFalse(sandboxes.exists("vm1"));
        assertTrue(sandboxes.running.isEmpty());
        assertNull(service.state().findContainer("vm1"));
        assertEquals("10.9.0.2", Ipv4.format(service.containers().run("vm2", "n", null, List.of()).endpoints().iterator().next()
            .ip()));
        service.containers().remove("vm2", false);
        service.networks().removeNetwork("n");
        assertFalse(dataplane.networks.containsKey(1));
    }

    @Test
    void hostNoneAndContainerModes()
    {
        final Container web = service.containers().run("web", null, null, List.of("sleep", "1"));
        final Container host = service.containers().run("h", "host", null, List.of("sleep", "1"));
        final Container none = service.containers().run("n", "none", null, List.of());
        final Container pod = service.containers().run("pod", "container:web", null, List.of("sleep", "1"));
        assertNull(host.sandbox());
        assertNull(service.namespaceOf(host));
        assertTrue(host.endpoints().isEmpty());
        assertEquals("n", none.sandbox());
        assertTrue(none.endpoints().isEmpty());
        assertTrue(sandboxes.exists("n"));
        assertNull(pod.sandbox());
        assertEquals("web", service.namespaceOf(pod));
        assertEquals("container:web", service.modeText(pod));
        assertEquals(1, dataplane.ports.size());
        assertRefusedWithoutChange("cannot be connected", () -> service.containers().connect("bridge", "h", null));
        assertRefusedWithoutChange("cannot be connected", () -> service.containers().connect("bridge", "pod", null));
        assertRefusedWithoutChange("cannot be connected", () -> service.containers().connect("bridge", "n", null));
        assertRefusedWithoutChange("--ip", () -> service.containers().run("x", "host", "172.17.0.5", List.of()));
        assertRefusedWithoutChange("used by pod", () -> service.containers().remove("web", false) );
    }

    @Test
    void badNetworkRequestsChangeNothing()
    {
        service.networks().createNetwork(net("taken", "192.168.100.0/24", null, null));
        assertRefusedWithoutChange("10.0.0.0/33", () -> service.networks().createNetwork(net("x", "10.0.0.0/33", null, null)));
        assertRefusedWithoutChange("10.0.0.0/24", () -> service.networks().createNetwork(net("x", "10.0.0.5/24", null, null)));
        assertRefusedWithoutChange("nonsense", () -> service.networks().createNetwork(net("x", "nonsense", null, null)));
        assertRefusedWithoutChange("10.1.0.1", () -> service.networks().createNetwork(net("x", "10.0.0.0/24", null,
            "10.1.0.1")));
        assertRefusedWithoutChange("10.0.0.0", () -> service.networks().createNetwork(net("x", "10.0.0.0/24", null,
            "10.0.0.0")));
        assertRefusedWithoutChange("10.0.1.0/26", () -> service.networks().createNetwork(net("x", "10.0.0.0/24",
            "10.0.1.0/26", null)));
        assertRefusedWithoutChange("overlaps", () -> service.networks().createNetwork(net("x", "192.168.0.0/16", null, null)));
        assertRefusedWithoutChange("overlaps", () -> service.networks().createNetwork(net("x", "172.17.3.0/24", null, null)));
        assertRefusedWithoutChange("already exists", () -> service.networks().createNetwork(net("taken", "10.0.0.0/24", null,
            null)));
        assertRefusedWithoutChange("already exists", () -> service.networks().createNetwork(net("bridge", null, null, null)));
        assertRefusedWithoutChange("overlay", () -> service.networks().createNetwork(new NetworkRequest("x", "overlay", null,
            null, null, false, List.of())));
        assertRefusedWithoutChange("foo", () -> service.networks().createNetwork(net("x", null, null, null, "foo=bar")));
        assertRefusedWithoutChange("mtu 10", () -> service.networks().createNetwork(net("x", null, null, null, "mtu=10")));
        assertRefusedWithoutChange("abc", () -> service.networks().createNetwork(net("x", null, null, null, "mtu=abc")));
        assertRefusedWithoutChange("maybe", () -> service.networks().createNetwork(net("x", null, null, null, "icc=maybe")));
        assertRefusedWithoutChange("need --subnet", () -> service.networks().createNetwork(net("x", null, "10.0.0.0/24",
            null)));
        assertRefusedWithoutChange("bad name!", () -> service.networks().createNetwork(net("bad name!", null, null, null)));
        assertRefusedWithoutChange("pre-defined", () -> service.networks().removeNetwork("bridge"));
        assertRefusedWithoutChange("ghost", () -> service.networks().removeNetwork("ghost"));
        dataplane.failNextAddNetwork = true;
        assertRefusedWithoutChange("injected", () -> service.networks().createNetwork(net("x", null, null, null)));
    }

    @Test
    void badContainerRequestsChangeNothing()
    {
        service.networks().createNetwork(net("n", "172.22.0.0/24", "172.22.0.0/30", "172.22.0.1"));
        service.containers().run("vm1", "n", "172.22.0.3", List.of("sleep", "1"));
        service.containers().run("vm2", "n", null, List.of());
        assertRefusedWithoutChange("already in use", () -> service.containers().run("vm1", null, null, List.of()));
        assertRefusedWithoutChange("172.22.0.3", () -> service.containers().run("x", "n", "172.22.0.3", List.of()));
        assertRefusedWithoutChange("172.22.0.1", () -> service.containers().run("x", "n", "172.22.0.1", List.of()));
        assertRefusedWithoutChange("10.0.0.9", () -> service.containers().run("x", "n", "10.0.0.9", List.of()));
        assertRefusedWithoutChange("172.22.0.300", () -> service.containers().run("x", "n", "172.22.0.300", List.of()));
        assertRefusedWithoutChange("ip-range 172.22.0.0/30", () -> service.containers().run("x", "n", "172.22.0.100", List.of()));
        assertRefusedWithoutChange("user defined networks only", () -> service.containers().run("x", "bridge", "172.17.0.9",
            List.of()));
        assertRefusedWithoutChange("no free address", () -> service.containers().run("x", "n", null, List.of()));
        assertRefusedWithoutChange("ghostnet", () -> service.containers().run("x", "ghostnet", null, List.of()));
        assertRefusedWithoutChange("ghost", () -> service.containers().run("x", "container:ghost", null, List.of()));
        assertRefusedWithoutChange("missingcmd", () -> service.containers().run("x", null, null, List.of("missingcmd")));
        assertRefusedWithoutChange("a/b", () -> service.containers().run("a/b", null, null, List.of()));
        sandboxes.namespaces.add("stray");
        assertRefusedWithoutChange("stray", () -> service.containers().run("stray", null, null, List.of()));
        sandboxes.namespaces.remove("stray");
        assertRefusedWithoutChange("already connected", () -> service.containers().connect("n", "vm1", null));
        assertRefusedWithoutChange("not connected", () -> service.containers().disconnect("bridge", "vm1"));
        assertRefusedWithoutChange("ghost", () -> service.containers().disconnect("n", "ghost"));
        assertRefusedWithoutChange("ghost", () -> service.containers().remove("ghost", true));
        dataplane.failNextAttach = true;
        assertRefusedWithoutChange("injected", () -> service.containers().run("x", null, null, List.of("sleep", "1")));
        sandboxes.failNextStart = true;
        assertRefusedWithoutChange("injected", () -> service.containers().run("x", null, null, List.of("sleep", "1")));
        dataplane.failNextAttach = true;
        assertRefusedWithoutChange("injected", () -> service.containers().connect("bridge", "vm1", null));
    }

    @Test
    void replayRestoresStateAndReattachesEveryEndpoint()
    {
        final Path journalDir = stateDir.resolve("journal");
        final FakeDataplane firstDataplane = new FakeDataplane();
        final FakeSandboxes hostSandboxes = new FakeSandboxes();
        final String before;
        try (ChronicleJournal first = new ChronicleJournal(journalDir))
        {
            final ControlService one = newService(first, firstDataplane, hostSandboxes);
            one.restore();
            one.networks().createNetwork(net("n1", "192.168.100.0/24", "192.168.100.0/26", "192.168.100.1", "icc=false"));
            one.networks().createNetwork(net("n2", null, null, null));
            one.containers().run("vm1", "n1", null, List.of("sleep", "100"));
            one.containers().run("vm2", "n1", "192.168.100.40", List.of());
            one.containers().run("gone", "n2", null, List.of());
            one.containers().connect("n2", "vm1", null);
            one.containers().remove("gone", true);
            one.containers().run("h", "host", null, List.of("sleep", "100"));
            before = describe(one);
        }
        hostSandboxes.namespaces.remove("vm2"); // as after a reboot
        final FakeDataplane secondDataplane = new FakeDataplane();
        try (ChronicleJournal second = new ChronicleJournal(journalDir))
        {
            final ControlService two = newService(second, secondDataplane, hostSandboxes);
            final List<String> problems = two.restore();
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).contains("vm2"));
            assertEquals(before, describe(two));
            assertTrue(hostSandboxes.exists("vm2"), "a vanished sandbox is recreated");
            assertEquals(List.of("addNetwork bridge", "addNetwork n1", "addNetwork n2", "reattach vm1 eth0",
                "reattach vm1 eth1", "reattach vm2 eth0"), secondDataplane.calls);
            assertFalse(secondDataplane.networks.get(1).icc());
            assertTrue(two.isRunning(two.state().container("vm1")));
            // addresses are taken again: the next one skips vm1's
            assertEquals("192.168.100.3", Ipv4.format(two.containers().run("vm3", "n1", null, List.of()).endpoints().iterator()
                .next().ip()));
            // and ports are known again, so removal detaches them
            two.containers().remove("vm1", true);
            assertTrue(secondDataplane.calls.contains("detach 100"));
        }
    }

    /** The dataplane segment the bridge driver gave a network. */
    private int segmentOf(final String network)
    {
        return dataplane.networks.entrySet().stream().filter(e -> e.getValue().name().equals(network))
            .mapToInt(Map.Entry::getKey).findFirst().orElseThrow();
    }

    private static String describe(final ControlService service)
    {
        final State state = service.state();
        return state.networks().stream().map(n -> n.id() + n.name() + n.driver() + n.scope() + n.subnet() +
                n.ipRange() + n.gateway() + n.options() + n.internal() + n.isPredefined())
                .collect(Collectors.joining("\n")) + "\n" +
            state.containers().stream().map(c -> c.id() + c.name() + c.mode() + c.sandbox() + c.endpoints() +
                c.process()).collect(Collectors.joining("\n"));
    }
}
