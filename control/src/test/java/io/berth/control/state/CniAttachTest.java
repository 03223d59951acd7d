package io.berth.control.state;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Endpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control service's CNI attachments against fakes: the runtime's namespace is never made nor deleted by berth. */
class CniAttachTest
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
        service = newService();
        assertTrue(service.restore().isEmpty());
        service.networks().createNetwork(new NetworkRequest("pnet", null, "10.61.0.0/24", null, null, false, List.of()));
        sandboxes.namespaces.add("netns-a");
        sandboxes.namespaces.add("netns-b");
    }

    private ControlService newService()
    {
        return new ControlService(new State(), journal, dataplane, sandboxes, stateDir, new Ids(), Clock.systemUTC());
    }

    private static CniController.CniAdd add(final String id, final String netns, final String name, final String ip,
        final List<String> publish)
    {
        return new CniController.CniAdd(id, netns, "/run/netns/" + netns, "eth0", "pnet", name, ip, 0, publish,
            List.of("web"));
    }

    @Test
    void addMakesAContainerWithTheRuntimesNameAndDelRemovesItButNotTheNamespace()
    {
        final Container a = service.cni().cniAdd(add("aaaa1111bbbb2222", "netns-a", "pa", "10.61.0.9", List.of("8080:80")));
        assertEquals("pa", a.name());
        assertEquals("aaaa1111bbbb2222", a.cni().containerId());
        assertEquals("/run/netns/netns-a", a.cni().netnsPath());
        assertEquals("netns-a", a.sandbox());
        final Endpoint eth0 = CniController.endpointNamed(a, "eth0");
        assertEquals(Ipv4.parse("10.61.0.9", "ip"), eth0.ip());
        assertEquals(List.of("web"), eth0.aliases());
        assertEquals(1, a.ports().size());
        // the same call again answers with what is there
        assertSame(a, service.cni().cniAdd(add("aaaa1111bbbb2222", "netns-a", "pa", null, List.of())));
        // berth rm refuses, naming podman
        final BerthException rm = assertThrows(BerthException.class, () -> service.containers().remove("pa", false));
        assertTrue(rm.getMessage().contains("podman rm"), rm.getMessage());

        assertTrue(service.cni().cniDel("aaaa1111bbbb2222", "eth0"));
        assertNull(service.cni().cniContainer("aaaa1111bbbb2222"));
        assertTrue(sandboxes.namespaces.contains("netns-a"), "the runtime's namespace is the runtime's");
        assertFalse(service.cni().cniDel("aaaa1111bbbb2222", "eth0"), "DEL again: nothing left, and no error");
        // the address and the port are free again
        final Container again = service.cni().cniAdd(add("cccc", "netns-b", "pc", "10.61.0.9", List.of("8080:80")));
        assertEquals(Ipv4.parse("10.61.0.9", "ip"), CniController.endpointNamed(again, "eth0").ip());
    }

    @Test
    void aTakenNameFallsBackToTheRuntimesIdAndASecondInterfaceConnects()
    {
        service.cni().cniAdd(add("aaaa1111bbbb2222cccc", "netns-a", "same", null, List.of()));
        final Container b = service.cni().cniAdd(add("dddd3333eeee4444ffff", "netns-b", "same", null, List.of()));
        assertEquals("cni-dddd3333eeee", b.name());
        service.networks().createNetwork(new NetworkRequest("other", null, "10.62.0.0/24", null, null, false, List.of()));
        final Container twice = service.cni().cniAdd(new CniController.CniAdd("dddd3333eeee4444ffff", "netns-b",
            "/run/netns/netns-b", "eth1", "other", "same", null, 0, List.of(), List.of()));
        assertEquals(2, twice.endpoints().size());
        assertTrue(service.cni().cniDel("dddd3333eeee4444ffff", "eth1"));
        assertNotNull(service.cni().cniContainer("dddd3333eeee4444ffff"), "eth0 is still there");
    }

    @Test
    void refusalsLeaveNothingBehind()
    {
        final long changes = journal.stateChanges();
        assertThrows(BerthException.class, () -> service.cni().cniAdd(add("x1", "netns-absent", "x", null, List.of())));
        assertThrows(BerthException.class, () -> service.cni().cniAdd(add("x1", "netns-a", "x", "10.99.0.5", List.of())));
        assertThrows(BerthException.class, () -> service.cni().cniAdd(add("x1", "netns-a", "x", null, List.of("nope"))));
        assertEquals(changes, journal.stateChanges());
        assertNull(service.cni().cniContainer("x1"));
    }

    @Test
    void aRestartKeepsAttachmentsAndForgetsThoseWhoseNamespaceWentAway()
    {
        service.cni().cniAdd(add("keep", "netns-a", "keep", "10.61.0.20", List.of()));
        service.cni().cniAdd(add("gone", "netns-b", "gone", "10.61.0.21", List.of()));
        sandboxes.namespaces.remove("netns-b"); // podman rm while berthd was down
        final ControlService restarted = newService();
        final List<String> problems = restarted.restore();
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("gone"), problems::toString);
        assertNotNull(restarted.cni().cniContainer("keep"));
        assertNull(restarted.cni().cniContainer("gone"));
        assertFalse(sandboxes.namespaces.contains("netns-b"), "berth never recreates a runtime's namespace");
        // its address is free again
        restarted.cni().cniAdd(new CniController.CniAdd("new", "netns-a", "/run/netns/netns-a", "eth1", "pnet", "n",
            "10.61.0.21", 0, List.of(), List.of()));
    }

    @Test
    void gcDeletesOnlyWhatTheRuntimeNoLongerLists()
    {
        service.cni().cniAdd(add("one", "netns-a", "one", null, List.of()));
        service.cni().cniAdd(add("two", "netns-b", "two", null, List.of()));
        assertEquals(List.of("two"), service.cni().cniGc("pnet", Set.of("one/eth0")));
        assertNotNull(service.cni().cniContainer("one"));
        assertNull(service.cni().cniContainer("two"));
    }
}
