package io.berth.control.state;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipv4;
import io.berth.control.proxy.Forward;
import io.berth.control.proxy.Forwarders;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** -p through the service: DNAT entries, proxies, conflicts, refusals without change, rm and replay. */
class PublishTest
{
    private static final int UPLINK = Ipv4.parse("10.99.0.1", "ip");

    @TempDir
    Path stateDir;

    private FakeDataplane dataplane;
    private FakeSandboxes sandboxes;
    private MemoryJournal journal;
    private FakeForwarders proxies;
    private ControlService service;

    /** Forwards as strings; can refuse a listen port as if something else held it. */
    static final class FakeForwarders implements Forwarders
    {
        final Set<String> open = new TreeSet<>();
        final List<String> calls = new ArrayList<>();
        int busyPort;

        @Override
        public void open(final Forward forward) throws IOException
        {
            if (forward.listenPort() == busyPort)
            {
                throw new IOException("Address already in use");
            }
            calls.add("open " + forward);
            if (!open.add(forward.toString()))
            {
                throw new IOException("already forwarding " + forward);
            }
        }

        @Override
        public void close(final Forward forward)
        {
            calls.add("close " + forward);
            open.remove(forward.toString());
        }
    }

    @BeforeEach
    void start()
    {
        dataplane = new FakeDataplane();
        sandboxes = new FakeSandboxes();
        journal = new MemoryJournal();
        proxies = new FakeForwarders();
        service = newService(UPLINK);
        assertTrue(service.restore().isEmpty());
    }

    private ControlService newService(final int uplink)
    {
        return new ControlService(new State(), journal, dataplane, sandboxes, stateDir, new Ids(), Clock.systemUTC(),
            uplink, proxies);
    }

    private Container run(final String name, final String network, final String... publish)
    {
        return service.containers().run(name, network, null, List.of("sleep", "100"), List.of(publish));
    }

    private String snapshot()
    {
        return service.state().containers().stream().map(c -> c.name() + c.endpoints() + c.ports())
            .collect(Collectors.joining(",")) + " | " + journal.stateChanges() + " | " + dataplane.ports.keySet() +
            " | " + dataplane.published + " | " + proxies.open + " | " + sandboxes.namespaces.stream().sorted()
            .toList() + " | " + sandboxes.running + " | " + service.state().network("bridge").addresses().inUse();
    }

    private void assertRefusedWithoutChange(final String expected, final Executable request)
    {
        final String before = snapshot();
        final BerthException ex = assertThrows(BerthException.class, request);
        assertTrue(ex.getMessage().contains(expected), "message \"" + ex.getMessage() + "\" lacks \"" + expected +
            "\"");
        assertEquals(before, snapshot(), "state changed by a refused request");
    }

    @Test
    void defaultHostAddressGetsDnatOnTheUplinkAndTheLoopbackProxy()
    {
        final Container web = run("web", null, "12211:8080", "53:53/udp");
        assertEquals("172.17.0.2", Ipv4.format(web.publishAddress()));
        assertEquals("{17 10.99.0.1:53=172.17.0.2:53, 6 10.99.0.1:12211=172.17.0.2:8080}",
            dataplane.published.toString());
        assertEquals("[127.0.0.1:12211/tcp -> 172.17.0.2:8080, 127.0.0.1:53/udp -> 172.17.0.2:53]",
            proxies.open.toString());
        assertEquals(List.of(new Event.PortMapping("tcp", "", 12211, 8080), new Event.PortMapping("udp", "", 53,
            53)), web.ports());
        assertTrue(journal.entries.stream().anyMatch(e -> e.contains("\"type\":\"ports.published\"")));
    }

    @Test
    void loopbackOnlyIsOnlyTheProxyAndUplinkOnlyIsOnlyDnat()
    {
        run("a", null, "127.0.0.1:8080:80");
        assertTrue(dataplane.published.isEmpty());
        assertEquals("[127.0.0.1:8080/tcp -> 172.17.0.2:80]", proxies.open.toString());
        run("b", null, "10.99.0.1:8080:80");
        assertEquals("{6 10.99.0.1:8080=172.17.0.3:80}", dataplane.published.toString());
        assertEquals(1, proxies.open.size());
    }

    @Test
    void rangesPublishEveryPort()
    {
        run("r", null, "8000-8002:9000-9002");
        assertEquals(3, dataplane.published.size());
        assertEquals(3, proxies.open.size());
        assertTrue(dataplane.published.containsKey("6 10.99.0.1:8002"));
    }

    @Test
    void withoutUplinkOnlyTheProxy()
    {
        journal = new MemoryJournal();
        service = newService(0);
        service.restore();
        run("web", null, "12211:8080");
        assertTrue(dataplane.published.isEmpty());
        assertEquals(1, proxies.open.size());
        assertRefusedWithoutChange("berthd has no uplink", () -> run("x", null, "10.99.0.1:80:80"));
    }

    @Test
    void takenHostPortsAreRefusedNamingTheHolder()
    {
        run("web", null, "12211:8080", "127.0.0.1:9000:90", "10.99.0.1:7000:70");
        assertRefusedWithoutChange("host port 0.0.0.0:12211/tcp is already published by container web",
            () -> run("x", null, "12211:80"));
        assertRefusedWithoutChange("already published by container web", () -> run("x", null, "127.0.0.1:12211:80"));
        assertRefusedWithoutChange("already published by container web", () -> run("x", null, "10.99.0.1:12211:80"));
        assertRefusedWithoutChange("already published by container web", () -> run("x", null, "9000:80"));
        assertRefusedWithoutChange("already published by container web", () -> run("x", null, "7000:80"));
        assertRefusedWithoutChange("127.0.0.1:9000/tcp is already published",
            () -> run("x", null, "127.0.0.1:9000:80"));
        assertRefusedWithoutChange("given twice", () -> run("x", null, "5000:80", "5000:81"));
        assertRefusedWithoutChange("given twice", () -> run("x", null, "4999-5001:80-82", "127.0.0.1:5001:81"));
        // a different protocol or a different specific address is free
        run("u", null, "12211:8080/udp");
        run("v", null, "127.0.0.1:7000:70");
        run("w", null, "10.99.0.1:9000:90");
    }

    @Test
    void badSpecsAndModesChangeNothing()
    {
        run("web", null, "80:80");
        for (final String bad : List.of("0:80", "80:65536", "8000-8001:80", "9-8:9-8", "80:80/sctp", "1.2.3.4:81:80",
            "81"))
        {
            assertRefusedWithoutChange(bad, () -> run("x", null, bad));
        }
        assertRefusedWithoutChange("publishing needs a bridge network", () -> run("x", "host", "81:80"));
        assertRefusedWithoutChange("publishing needs a bridge network", () -> run("x", "none", "81:80"));
        assertRefusedWithoutChange("publishing needs a bridge network", () -> run("x", "container:web", "81:80"));
    }

    @Test
    void aBusyLoopbackPortOrADataplaneRefusalUndoesTheRun()
    {
        proxies.busyPort = 8081;
        assertRefusedWithoutChange("Address already in use", () -> run("x", null, "8080:80", "8081:81"));
        assertTrue(dataplane.calls.contains("unpublish 6 10.99.0.1:8080"));
        dataplane.published.put("6 10.99.0.1:9999", "somewhere");
        assertRefusedWithoutChange("the dataplane already publishes", () -> run("x", null, "9999:80"));
        sandboxes.failNextStart = true;
        assertRefusedWithoutChange("injected", () -> run("x", null, "7777:80"));
    }

    @Test
    void rmUnpublishesAndFreesThePort()
    {
        run("web", null, "12211:8080", "127.0.0.1:53:53/udp");
        service.containers().remove("web", true);
        assertTrue(dataplane.published.isEmpty());
        assertTrue(proxies.open.isEmpty());
        run("again", null, "12211:8080");
        assertEquals(1, dataplane.published.size());
    }

    @Test
    void disconnectingThePublishedAddressIsRefused()
    {
        service.networks().createNetwork(new NetworkRequest("n2", null, "10.5.0.0/24", null, null, false, List.of()));
        run("web", null, "80:80");
        service.containers().connect("n2", "web", null);
        assertRefusedWithoutChange("publishes ports", () -> service.containers().disconnect("bridge", "web"));
        service.containers().disconnect("n2", "web");
    }

    @Test
    void replayPublishesEveryPortAgain()
    {
        run("web", null, "12211:8080", "127.0.0.1:9000:90/udp", "10.99.0.1:7000-7001:70-71");
        run("plain", null);
        final String published = dataplane.published.toString();
        final String open = proxies.open.toString();
        final FakeDataplane secondDataplane = new FakeDataplane();
        final FakeForwarders secondProxies = new FakeForwarders();
        final ControlService two = new ControlService(new State(), journal, secondDataplane, sandboxes, stateDir,
            new Ids(), Clock.systemUTC(), UPLINK, secondProxies);
        assertTrue(two.restore().isEmpty());
        assertEquals(published, secondDataplane.published.toString());
        assertEquals(open, secondProxies.open.toString());
        assertEquals(service.state().container("web").ports(), two.state().container("web").ports());
        // the replayed ports are held: a conflicting run is refused, rm unpublishes
        assertThrows(BerthException.class, () -> two.containers().run("x", null, null, List.of(), List.of("7001:80")));
        two.containers().remove("web", true);
        assertTrue(secondDataplane.published.isEmpty());
        assertTrue(secondProxies.open.isEmpty());
    }

    @Test
    void replayWithAnotherUplinkReportsPortsItCannotPublish()
    {
        run("web", null, "10.99.0.1:7000:70", "8000:80");
        final FakeDataplane secondDataplane = new FakeDataplane();
        final ControlService two = new ControlService(new State(), journal, secondDataplane, sandboxes, stateDir,
            new Ids(), Clock.systemUTC(), 0, new FakeForwarders());
        final List<String> problems = two.restore();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("10.99.0.1:7000/tcp") && problems.get(0).contains("no uplink"),
            problems.get(0));
        assertTrue(secondDataplane.published.isEmpty());
    }
}
