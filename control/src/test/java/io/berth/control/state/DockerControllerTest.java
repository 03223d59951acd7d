package io.berth.control.state;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Network;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Docker's driver calls on the control service, against fakes, in the order dockerd makes them: the pool, the
 * gateway, the network, an address, the endpoint, Join, ports; then back. Everything survives a replay of the
 * journal (Docker never sends it again), and bad calls change nothing.
 */
class DockerControllerTest
{
    private static final String NET = "d0c4e7000000000000000000000000000000000000000000000000000000beef";
    private static final String EP = "e9d000000000000000000000000000000000000000000000000000000000cafe";
    /** A sandbox key no namespace file is at. */
    private static final String GONE = "/var/run/docker/netns/berth-test-gone";

    @TempDir
    Path stateDir;

    private FakeDataplane dataplane;
    private MemoryJournal journal;
    private ControlService service;
    /** Docker's namespace file: a file that exists (berth only checks that it does, then finds its TAP). */
    private String sandbox;

    @BeforeEach
    void start() throws IOException
    {
        sandbox = Files.createFile(stateDir.resolve("netns-0123456789ab")).toString();
        dataplane = new FakeDataplane();
        journal = new MemoryJournal();
        service = newService();
        assertTrue(service.restore().isEmpty());
    }

    private ControlService newService()
    {
        return new ControlService(new State(), journal, dataplane, new FakeSandboxes(), stateDir, new Ids(),
            Clock.systemUTC());
    }

    /** network create --subnet 10.71.0.0/24, as dockerd calls it; the pool's id. */
    private String createNetwork()
    {
        final DockerController docker = service.docker();
        final Event.DockerPool pool = docker.requestPool("10.71.0.0/24", "", Map.of(), false);
        assertEquals("10.71.0.1/24", docker.requestAddress(pool.poolId(), "",
            Map.of("RequestAddressType", "com.docker.network.gateway")));
        docker.createNetwork(NET, "10.71.0.0/24", "10.71.0.1/24", Map.of("com.docker.network.driver.mtu", "1400"),
            false);
        return pool.poolId();
    }

    @Test
    void aContainersWholeLifeAndAReplayOfTheJournalKeepsEveryPoolAddressAndEndpoint() throws IOException
    {
        final String pool = createNetwork();
        final DockerController docker = service.docker();
        final Network network = service.state().network("docker-d0c4e7000000");
        assertEquals("1400", network.options().get("mtu"));
        assertEquals("10.71.0.2/24", docker.requestAddress(pool, "", Map.of()));
        final String mac = docker.createEndpoint(NET, EP, "10.71.0.2/24", "");
        assertEquals("02:42:0a:47:00:02", mac);
        final DockerController.Joined joined = docker.join(NET, EP, sandbox);
        assertTrue(joined.device().matches("bd[0-9a-f]{8}"), joined.device());
        assertEquals("10.71.0.1", joined.gateway());
        assertEquals(joined, docker.join(NET, EP, sandbox), "Join again (Docker retried) answers the same");
        final Container container = docker.containerOf(EP);
        assertEquals(sandbox, container.docker().sandboxKey());
        assertNull(container.sandbox(), "Docker's namespace is no berth sandbox");
        docker.publish(EP, List.of("18080:80/tcp"));
        assertEquals(1, service.state().containerById(container.id()).ports().size());

        // berthd restarts: the journal alone gives everything back
        final ControlService again = newService();
        again.restore();
        final DockerBook book = again.state().docker();
        assertNotNull(book.pool(pool));
        assertEquals(List.of("10.71.0.2"), List.copyOf(book.pool(pool).addresses()));
        assertNotNull(book.network(NET));
        assertEquals("10.71.0.2", book.endpoint(EP).ip());
        final Container restored = again.docker().containerOf(EP);
        assertEquals(1, restored.ports().size());
        final Network restoredNetwork = again.state().network("docker-d0c4e7000000");
        assertTrue(restoredNetwork.addresses().isUsed(Ipv4.parse("10.71.0.2", "ip")));
        assertThrows(BerthException.class, () -> again.docker().requestAddress(pool, "10.71.0.2", Map.of()),
            "the address Docker holds is not given twice");

        // stop and rm: Leave keeps the address Docker's until ReleaseAddress
        again.docker().unpublish(EP);
        again.docker().leave(EP);
        assertNull(again.docker().containerOf(EP));
        assertTrue(restoredNetwork.addresses().isUsed(Ipv4.parse("10.71.0.2", "ip")));
        again.docker().deleteEndpoint(EP);
        again.docker().releaseAddress(pool, "10.71.0.2/24");
        assertFalse(restoredNetwork.addresses().isUsed(Ipv4.parse("10.71.0.2", "ip")));
        again.docker().releaseAddress(pool, "10.71.0.1/24"); // the gateway: nothing to free
        again.docker().releasePool(pool);
        again.docker().deleteNetwork(NET);
        assertThrows(BerthException.class, () -> again.state().network("docker-d0c4e7000000"));
        again.docker().deleteNetwork(NET); // again: no error
    }

    @Test
    void aContainerWhoseSandboxWentWhileBerthdWasDownIsForgottenButItsAddressStaysDockers() throws IOException
    {
        final String pool = createNetwork();
        service.docker().requestAddress(pool, "", Map.of());
        service.docker().createEndpoint(NET, EP, "10.71.0.2/24", "");
        service.docker().join(NET, EP, GONE);
        final ControlService again = newService();
        final List<String> problems = again.restore();
        assertTrue(problems.stream().anyMatch(p -> p.contains(GONE) && p.contains("is gone")), problems::toString);
        assertNull(again.docker().containerOf(EP));
        assertTrue(again.state().network("docker-d0c4e7000000").addresses().isUsed(Ipv4.parse("10.71.0.2", "ip")),
            "Docker's endpoint holds the address until Docker releases it");
    }

    @Test
    void withoutASubnetThePoolAvoidsBerthsNetworksAndOtherPools()
    {
        service.networks().createNetwork(new NetworkRequest("mine", null, "172.18.0.0/16", null, null, false,
            List.of()));
        final Event.DockerPool first = service.docker().requestPool("", "", Map.of(), false);
        final Event.DockerPool second = service.docker().requestPool("", "", Map.of(), false);
        assertFalse(first.subnet().equals("172.18.0.0/16"), first.subnet());
        assertFalse(first.subnet().equals(second.subnet()), first + " " + second);
        final BerthException overlap = assertThrows(BerthException.class, () -> service.networks().createNetwork(
            new NetworkRequest("late", null, first.subnet(), null, null, false, List.of())));
        assertTrue(overlap.getMessage().contains(first.subnet()), overlap.getMessage());
    }

    @Test
    void aDockerNetworkAttachesToABerthNetworkWhoseAddressesItShares()
    {
        service.networks().createNetwork(new NetworkRequest("shared", null, "10.77.0.0/24", null, null, false,
            List.of()));
        final Event.DockerPool pool = service.docker().requestPool("", "", Map.of(), false);
        service.docker().requestAddress(pool.poolId(), "", Map.of("RequestAddressType",
            "com.docker.network.gateway"));
        final Network network = service.docker().createNetwork(NET, pool.subnet(), "", Map.of("berth.network",
            "shared"), false);
        assertEquals("shared", network.name());
        assertEquals("10.77.0.2/24", service.docker().requestAddress(pool.poolId(), "", Map.of()));
        service.docker().deleteNetwork(NET);
        assertEquals("shared", service.state().network("shared").name(), "the berth network stays");
    }

    @Test
    void badCallsAreRefusedNamingTheValueAndChangeNothing()
    {
        final int events = journal.entries.size();
        final DockerController docker = service.docker();
        final BerthException v6 = assertThrows(BerthException.class,
            () -> docker.requestPool("fd00::/64", "", Map.of(), true));
        assertTrue(v6.getMessage().contains("IPv6"), v6.getMessage());
        final BerthException attach = assertThrows(BerthException.class,
            () -> docker.requestPool("", "", Map.of("berth.network", "nosuch"), false));
        assertTrue(attach.getMessage().contains("nosuch"), attach.getMessage());
        final BerthException subnet = assertThrows(BerthException.class,
            () -> docker.requestPool("10.1.2.3/33", "", Map.of(), false));
        assertTrue(subnet.getMessage().contains("10.1.2.3/33"), subnet.getMessage());
        assertThrows(BerthException.class, () -> docker.requestAddress("nopool", "", Map.of()));
        assertThrows(BerthException.class, () -> docker.createEndpoint(NET, EP, "10.71.0.2/24", ""),
            "no such network");
        assertThrows(BerthException.class, () -> docker.join(NET, EP, sandbox), "no such endpoint");
        assertEquals(events, journal.entries.size(), "nothing journaled");

        final String pool = createNetwork();
        docker.requestAddress(pool, "", Map.of());
        final BerthException mac = assertThrows(BerthException.class,
            () -> docker.createEndpoint(NET, EP, "10.71.0.2/24", "zz:zz"));
        assertTrue(mac.getMessage().contains("zz:zz"), mac.getMessage());
        docker.createEndpoint(NET, EP, "10.71.0.2/24", "");
        final BerthException key = assertThrows(BerthException.class, () -> docker.join(NET, EP, "relative/ns"));
        assertTrue(key.getMessage().contains("relative/ns"), key.getMessage());
        assertNull(docker.containerOf(EP));
        final BerthException gateway = assertThrows(BerthException.class, () -> docker.requestAddress(pool,
            "10.9.9.9", Map.of("RequestAddressType", "com.docker.network.gateway")));
        assertTrue(gateway.getMessage().contains("10.9.9.9"), gateway.getMessage());
    }
}
