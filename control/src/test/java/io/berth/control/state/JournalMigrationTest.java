package io.berth.control.state;

import io.berth.control.dataplane.EndpointSpec;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipv4;
import io.berth.control.journal.ChronicleJournal;
import io.berth.control.journal.JournalCodec;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal written by berth before the driver SPI (version-1 events, commit a5c2ddb) replays into today's state:
 * control/src/test/resources/journal-v1/journal.tar.gz is the real Chronicle Queue directory that berthd wrote
 * while these commands ran (then it was stopped):
 * <pre>
 *   network create --subnet 10.77.0.0/24 --ip-range 10.77.0.128/25 --gateway 10.77.0.1 -o icc=false -o mtu=1400 jfxnet1
 *   network create --internal jfxnet2;  network create jfxgone
 *   run -d --name jfxa --network jfxnet1 --ip 10.77.0.130 -p 127.0.0.1:18080:80 -- sleep 1000
 *   run -d --name jfxb --network jfxnet2;  network connect jfxnet1 jfxb;  run -d --name jfxc
 *   network disconnect jfxnet1 jfxb;  run -d --name jfxh --network host;  run -d --name jfxn --network none
 *   run -d --name jfxj --network container:jfxa;  network rm jfxgone
 *   run -d --name jfxgone2 --network jfxnet2;  rm -f jfxgone2;  network connect jfxnet1 jfxc
 * </pre>
 */
class JournalMigrationTest
{
    @TempDir
    Path stateDir;

    private Path unpackFixture() throws IOException, InterruptedException
    {
        final Path archive = stateDir.resolve("journal.tar.gz");
        try (InputStream in = getClass().getResourceAsStream("/journal-v1/journal.tar.gz"))
        {
            Files.copy(in, archive);
        }
        final Process tar = new ProcessBuilder("tar", "xzf", archive.toString(), "-C", stateDir.toString())
            .inheritIO().start();
        assertTrue(tar.waitFor(30, TimeUnit.SECONDS) && tar.exitValue() == 0, "tar unpacks the fixture");
        return stateDir.resolve("journal");
    }

    @Test
    void aVersionOneJournalReplaysIntoTheDriverNeutralState() throws Exception
    {
        final Path journalDir = unpackFixture();
        final List<Event> events = new ArrayList<>();
        try (ChronicleJournal journal = new ChronicleJournal(journalDir))
        {
            journal.replay(events::add);
        }
        assertEquals(24, events.size());
        final Event.NetworkCreated first = (Event.NetworkCreated)events.get(0);
        assertEquals(new Event.IpamConfig("default", "172.17.0.0/16", null, "172.17.0.1"), first.ipam());
        assertEquals("local", first.scope());
        assertTrue(first.predefined());

        final FakeDataplane dataplane = new FakeDataplane();
        final FakeSandboxes sandboxes = new FakeSandboxes();
        for (final String namespace : List.of("jfxa", "jfxb", "jfxc", "jfxn"))
        {
            sandboxes.create(namespace);
        }
        try (ChronicleJournal journal = new ChronicleJournal(journalDir))
        {
            final ControlService service = new ControlService(new State(), journal, dataplane, sandboxes, stateDir,
                new Ids(), Clock.systemUTC());
            final List<String> problems = service.restore();
            assertEquals(List.of(), problems);
            final State state = service.state();
            assertEquals(List.of("bridge", "host", "none", "jfxnet1", "jfxnet2"),
                state.networks().stream().map(Network::name).toList(), "jfxgone was removed");

            final Network net1 = state.network("jfxnet1");
            assertEquals("bridge", net1.driver());
            assertEquals("10.77.0.0/24", net1.subnet().toString());
            assertEquals("10.77.0.128/25", net1.ipRange().toString());
            assertEquals("10.77.0.1", Ipv4.format(net1.gateway()));
            assertEquals(Map.of("icc", "false", "mtu", "1400"), net1.options());
            assertFalse(net1.isPredefined());
            assertTrue(state.network("jfxnet2").internal());
            assertTrue(state.network("host").isPredefined());
            assertNull(state.network("none").subnet());
            assertTrue(state.network("bridge").isPredefined());

            // the addresses in use were taken again: .128 (jfxc) and .130 (jfxa); .129 is next
            assertEquals("10.77.0.129", Ipv4.format(net1.addresses().nextFree()));
            final Container a = state.container("jfxa");
            assertEquals(1, a.ports().size());
            assertEquals(18080, a.ports().get(0).hostPort());
            assertEquals(List.of("sleep", "1000"), a.process().cmd());
            assertEquals(List.of("eth0", "eth1"), state.container("jfxc").endpoints().stream()
                .map(Endpoint::ifName).toList());
            assertEquals(1, state.container("jfxb").endpoints().size(), "jfxb was disconnected from jfxnet1");
            assertEquals(NetworkMode.HOST, state.container("jfxh").mode());
            assertEquals(NetworkMode.NONE, state.container("jfxn").mode());
            assertEquals("container:jfxa", service.modeText(state.container("jfxj")));
            assertNull(state.findContainer("jfxgone2"));

            // the dataplane got every bridge network as a segment and every endpoint re-attached
            assertEquals(3, dataplane.networks.size());
            final EndpointSpec jfxaEth0 = dataplane.ports.values().stream()
                .filter(p -> p.sandbox().equals("jfxa")).findFirst().orElseThrow();
            assertEquals(1400, jfxaEth0.mtu(), "the bridge driver reads the migrated mtu option");
            assertTrue(dataplane.calls.contains("reattach jfxc eth1"));
            assertFalse(dataplane.networks.values().stream().filter(n -> n.name().equals("jfxnet1"))
                .findFirst().orElseThrow().icc(), "and the migrated icc option");
            assertEquals(4, dataplane.ports.size());

            // new events are written in the new form, next to the old ones
            service.networks().createNetwork(new NetworkRequest("jfxnew", null, null, null, null, false, List.of()));
        }
        try (ChronicleJournal journal = new ChronicleJournal(journalDir))
        {
            final List<Event> again = new ArrayList<>();
            journal.replay(again::add);
            final Event.NetworkCreated added = (Event.NetworkCreated)again.get(again.size() - 1);
            assertEquals("jfxnew", added.name());
            assertEquals("172.19.0.0/16", added.ipam().subnet(), "172.18 is jfxnet2's");
        }
    }

    @Test
    void theCodecMigratesVersionOneNetworkEventsAndWritesVersionTwo()
    {
        final Event event = JournalCodec.decode("{\"v\":1,\"at\":\"2026-12-01T22:56:59Z\",\"type\":\"network.created\"," +
            "\"id\":\"x\",\"denseId\":2,\"name\":\"n\",\"driver\":\"bridge\",\"subnet\":\"10.1.0.0/16\",\"ipRange\":null," +
            "\"gateway\":\"10.1.0.1\",\"internal\":true,\"icc\":false,\"mtu\":9000,\"created\":\"c\"}");
        assertEquals(new Event.NetworkCreated("x", "n", "bridge", "local",
            new Event.IpamConfig("default", "10.1.0.0/16", null, "10.1.0.1"), Map.of("icc", "false", "mtu", "9000"),
            true, false, Map.of(), "c"), event);
        final String encoded = JournalCodec.encode(event, Instant.parse("2026-12-02T00:00:00Z"));
        assertTrue(encoded.startsWith("{\"v\":2,"), encoded);
        assertFalse(encoded.contains("denseId"), encoded);
        assertEquals(event, JournalCodec.decode(encoded));
    }
}
