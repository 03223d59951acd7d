package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real dockerd (Debian's docker.io 20.10, runc) on berth through berth's Docker plugin: berthd serves the network
 * and IPAM driver under a name of this run's own ({@code /run/docker/plugins/NAME.sock}), dockerd runs in
 * berthd's namespace (as on a host, where both share the root namespace) with --live-restore, and the seed
 * scenarios run with {@code docker}: names through Docker's DNS, the gateway, isolation, --ip and --ip-range,
 * --internal and icc=false, connect and disconnect, published ports from outside, from 127.0.0.1 and by
 * hairpin, berthd's crash and dockerd's restart with traffic going on, and one berth network shared by a
 * Docker container and a berth sandbox. Everything Docker made is removed at the end, also on failure.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerPluginTest extends UplinkTestBase
{
    /** The driver's name: the socket's file name, unique to this run. */
    private final String driver = String.format("bt%08x", ThreadLocalRandom.current().nextInt());
    private final Path pluginSocket = Path.of("/run/docker/plugins", driver + ".sock");
    private Dockerd dockerd;
    private final List<String> dockerNetworks = new ArrayList<>();

    @Override
    protected List<String> moreBerthdArgs()
    {
        dockerd = Dockerd.prepare(List.of("--live-restore"));
        return List.of("--docker-plugin-socket", pluginSocket.toString(), "--docker-host",
            "unix://" + dockerd.socket());
    }

    @BeforeAll
    void startDockerd()
    {
        dockerd.startIn(host.hostNs());
    }

    @AfterEach
    void removeDockersThings()
    {
        if (dockerd == null)
        {
            return;
        }
        final Result ids = dockerd.docker("ps", "-aq");
        if (ids.ok() && !ids.out().isBlank())
        {
            final List<String> rm = new ArrayList<>(List.of("rm", "-f"));
            rm.addAll(List.of(ids.out().trim().split("\\s+")));
            dockerd.docker(rm.toArray(String[]::new));
        }
        for (String network : dockerNetworks)
        {
            dockerd.docker("network", "rm", network);
        }
        dockerNetworks.clear();
    }

    @Override
    protected void beforeClose()
    {
        try
        {
            if (dockerd != null)
            {
                removeDockersThings();
                dockerd.close();
            }
        }
        finally
        {
            try
            {
                Files.deleteIfExists(pluginSocket); // left when berthd was killed
            }
            catch (final IOException ignored)
            {
                // best effort; the name is unique
            }
        }
    }

    // --------------------------------------------------------------------------------------------------- tests

    @Test
    @Order(1)
    void twoContainersTalkByNameAndTheGatewayAnswers()
    {
        final String id = network("dnet", "--subnet", "10.71.0.0/24");
        run("web", "dnet", "httpd", "-f", "-p", "80", "-h", "/www");
        run("client", "dnet", "sleep", "600");
        assertEquals("10.71.0.2", address("web", "dnet"));
        final Result ping = dockerd.docker("exec", "client", "ping", "-c", "2", "-W", "2", "web");
        assertTrue(ping.ok() && ping.out().contains("10.71.0.2"), ping::toString);
        assertTrue(dockerd.docker("exec", "client", "ping", "-c", "1", "-W", "2", "10.71.0.1").ok(),
            "the gateway answers");
        assertEquals("served by docker through berth", fetch("client", "http://web/"));
        // berth sees the Docker network and its two containers, with berth's counters on their ports
        final JsonNode berthNetwork = host.inspectNetwork("docker-" + id.substring(0, 12));
        assertEquals("10.71.0.0/24", berthNetwork.path("IPAM").path("Config").path(0).path("Subnet").asText(),
            berthNetwork::toString);
        assertEquals(2, berthNetwork.path("Containers").size(), berthNetwork::toString);
        // Docker's names, read from dockerd's API after the calls
        final List<String> names = new ArrayList<>();
        for (int i = 0; i < 100 && !names.containsAll(List.of("web", "client")); i++)
        {
            names.clear();
            host.inspectNetwork("docker-" + id.substring(0, 12)).path("Containers")
                .forEach(c -> names.add(c.path("Name").asText()));
            BerthHost.sleep(100);
        }
        assertTrue(names.containsAll(List.of("web", "client")), names::toString);
        final Result rm = host.berth("rm", berthNetwork.path("Containers").fieldNames().next());
        assertFalse(rm.ok(), "berth rm of a Docker endpoint without -f is refused");
        assertTrue(rm.err().contains("docker rm"), rm::toString);
    }

    @Test
    @Order(2)
    void anotherNetworkIsIsolatedAndGetsASubnetOfItsOwn()
    {
        network("dnet", "--subnet", "10.71.0.0/24");
        network("other");
        run("ca", "dnet", "sleep", "600");
        run("cb", "other", "sleep", "600");
        final String subnet = dockerd.dockerOk("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}",
            "other").out().trim();
        assertFalse(subnet.isEmpty() || subnet.equals("10.71.0.0/24"), subnet);
        assertFalse(dockerd.docker("exec", "cb", "ping", "-c", "1", "-W", "1", address("ca", "dnet")).ok(),
            "networks are isolated from each other");
        final Result overlap = dockerd.docker("network", "create", "-d", driver, "--ipam-driver", driver,
            "--subnet", "10.71.0.0/25", "overlapping");
        assertFalse(overlap.ok(), overlap::toString);
        assertTrue(overlap.err().contains("10.71.0.0/25"), overlap::toString);
    }

    @Test
    @Order(3)
    void ipAndIpRangeAreHonouredAndRmFreesTheAddress()
    {
        network("ranged", "--subnet", "10.72.0.0/24", "--ip-range", "10.72.0.128/25");
        run("first", "ranged", "sleep", "600");
        assertEquals("10.72.0.128", address("first", "ranged"));
        run("pinned", "ranged", "--ip", "10.72.0.200", "sleep", "600");
        assertEquals("10.72.0.200", address("pinned", "ranged"));
        final Result taken = dockerd.docker("run", "-d", "--name", "again", "--network", "ranged", "--ip",
            "10.72.0.200", Dockerd.IMAGE, "sleep", "600");
        assertFalse(taken.ok(), taken::toString);
        assertTrue(taken.err().contains("10.72.0.200"), "the error names the address: " + taken);
        dockerd.docker("rm", "-f", "again");
        dockerd.dockerOk("rm", "-f", "pinned");
        run("again", "ranged", "--ip", "10.72.0.200", "sleep", "600");
        assertEquals("10.72.0.200", address("again", "ranged"));
    }

    @Test
    @Order(4)
    void internalNetworksHaveNoWayOutAndIccFalseKeepsContainersApart()
    {
        network("inside", "--internal", "--subnet", "10.74.0.0/24");
        run("i1", "inside", "sleep", "600");
        run("i2", "inside", "sleep", "600");
        assertTrue(dockerd.docker("exec", "i1", "ping", "-c", "1", "-W", "2", "i2").ok(), "peers on it talk");
        assertFalse(dockerd.docker("exec", "i1", "ping", "-c", "1", "-W", "1", Uplink.OUTSIDE_IP).ok(),
            "an --internal network has no way out");
        network("apart", "-o", "icc=false", "--subnet", "10.75.0.0/24");
        run("p1", "apart", "sleep", "600");
        run("p2", "apart", "sleep", "600");
        assertFalse(dockerd.docker("exec", "p1", "ping", "-c", "1", "-W", "1", address("p2", "apart")).ok(),
            "icc=false keeps containers apart");
        assertTrue(dockerd.docker("exec", "p1", "ping", "-c", "1", "-W", "2", "10.75.0.1").ok(),
            "the gateway still answers");
    }

    @Test
    @Order(5)
    void connectAndDisconnectWhileRunning()
    {
        network("dnet", "--subnet", "10.71.0.0/24");
        network("second", "--subnet", "10.76.0.0/24");
        run("multi", "dnet", "sleep", "600");
        run("peer", "second", "sleep", "600");
        assertFalse(dockerd.docker("exec", "multi", "ping", "-c", "1", "-W", "1", "10.76.0.2").ok());
        dockerd.dockerOk("network", "connect", "--ip", "10.76.0.50", "--alias", "extra", "second", "multi");
        final Result eth1 = dockerd.dockerOk("exec", "multi", "ip", "-o", "addr", "show", "eth1");
        assertTrue(eth1.out().contains("10.76.0.50/24"), eth1::toString);
        assertTrue(dockerd.docker("exec", "multi", "ping", "-c", "1", "-W", "2", "10.76.0.2").ok(),
            "the second network's peer answers on eth1");
        final Result alias = dockerd.docker("exec", "peer", "ping", "-c", "1", "-W", "2", "extra");
        assertTrue(alias.ok() && alias.out().contains("10.76.0.50"), "connect --alias names it there: " + alias);
        dockerd.dockerOk("network", "disconnect", "second", "multi");
        assertFalse(dockerd.docker("exec", "multi", "ip", "link", "show", "eth1").ok(), "eth1 is gone");
        assertFalse(dockerd.docker("exec", "multi", "ping", "-c", "1", "-W", "1", "10.76.0.2").ok());
        assertTrue(dockerd.docker("exec", "multi", "ping", "-c", "1", "-W", "2", "10.71.0.1").ok(),
            "eth0 stays");
    }

    @Test
    @Order(6)
    void publishedPortsAnswerFromOutsideFromLoopbackAndByHairpin()
    {
        network("dnet", "--subnet", "10.71.0.0/24");
        run("site", "dnet", "-p", "18090:80", "httpd", "-f", "-p", "80", "-h", "/www");
        run("inner", "dnet", "sleep", "600");
        final String page = "served by docker through berth";
        assertEquals(page, poll(() -> BerthHost.inNs(Duration.ofSeconds(10), outside, "curl", "-s", "-m", "3",
            "http://" + Uplink.UPLINK_IP + ":18090/")));
        assertEquals(page, poll(() -> BerthHost.inNs(Duration.ofSeconds(10), host.hostNs(), "curl", "-s", "-m",
            "3", "http://127.0.0.1:18090/")));
        assertEquals(page, fetch("inner", "http://" + Uplink.UPLINK_IP + ":18090/"), "hairpin");
        // the way out: berth's SNAT on the uplink, the outside sees the uplink's address
        final BerthHost.Spawned listener = host.spawn(outside, "socat", "TCP-LISTEN:18095,reuseaddr,fork",
            "SYSTEM:echo from $SOCAT_PEERADDR");
        assertTrue(dockerd.docker("exec", "inner", "ping", "-c", "1", "-W", "2", Uplink.OUTSIDE_IP).ok(),
            "a container reaches the outside");
        final String seen = poll(() -> dockerd.docker("exec", "inner", "sh", "-c", "nc -w 3 " + Uplink.OUTSIDE_IP +
            " 18095 </dev/null"));
        listener.kill();
        assertEquals("from " + Uplink.UPLINK_IP, seen, "masqueraded to the uplink's address");
        final Result taken = dockerd.docker("run", "-d", "--name", "clash", "--network", "dnet", "-p", "18090:80",
            Dockerd.IMAGE, "sleep", "600");
        assertFalse(taken.ok(), taken::toString);
        assertTrue(taken.err().contains("18090"), "the error names the port: " + taken);
        dockerd.docker("rm", "-f", "clash");
        // -P: a port berth chooses, shown by berth (docker port stays empty for plugin networks)
        run("chosen", "dnet", "-P", "--expose", "80", "httpd", "-f", "-p", "80", "-h", "/www");
        final JsonNode ports = host.inspect(berthName("chosen")).path("NetworkSettings").path("Ports").path("80/tcp");
        final String hostPort = ports.path(0).path("HostPort").asText();
        assertTrue(Integer.parseInt(hostPort) >= 49153, ports::toString);
        assertEquals(page, poll(() -> BerthHost.inNs(Duration.ofSeconds(10), host.hostNs(), "curl", "-s", "-m",
            "3", "http://127.0.0.1:" + hostPort + "/")));
    }

    @Test
    @Order(7)
    void berthdKilledAndRestartedLosesNoContainerAddressOrPort()
    {
        network("dnet", "--subnet", "10.71.0.0/24");
        run("site", "dnet", "-p", "18091:80", "httpd", "-f", "-p", "80", "-h", "/www");
        run("client", "dnet", "sleep", "600");
        final BerthHost.Spawned pings = host.spawn(host.hostNs(), "nsenter", "--net=/proc/" + pid("client") + "/ns/net",
            "ping", "-i", "0.2", "-c", "400", address("site", "dnet"));
        host.killBerthd();
        host.startBerthd();
        assertEquals("served by docker through berth", fetch("client", "http://site/"));
        assertEquals("served by docker through berth", poll(() -> BerthHost.inNs(Duration.ofSeconds(10), outside,
            "curl", "-s", "-m", "3", "http://" + Uplink.UPLINK_IP + ":18091/")));
        // Docker's calls go on: a new container, and one removed and its address given again
        dockerd.dockerOk("rm", "-f", "client");
        run("later", "dnet", "sleep", "600");
        assertEquals("10.71.0.3", address("later", "dnet"), "the address rm freed is given again");
        assertTrue(dockerd.docker("exec", "later", "ping", "-c", "1", "-W", "2", "site").ok());
        // and an orderly restart (SIGTERM) too
        host.restartBerthd();
        assertTrue(dockerd.docker("exec", "later", "ping", "-c", "1", "-W", "2", "site").ok());
        assertEquals("served by docker through berth", fetch("later", "http://site/"));
        pings.kill();
        assertTrue(pings.output().contains("bytes from"), pings::output);
    }

    @Test
    @Order(8)
    void dockerdRestartedWithLiveRestoreKeepsTheNetwork()
    {
        network("dnet", "--subnet", "10.71.0.0/24");
        run("site", "dnet", "httpd", "-f", "-p", "80", "-h", "/www");
        run("client", "dnet", "sleep", "600");
        final String clientPid = pid("client");
        dockerd.stopDaemon();
        final Result whileAway = Sh.run("nsenter", "--net=/proc/" + clientPid + "/ns/net", "ping", "-c", "1", "-W",
            "2", "10.71.0.2");
        assertTrue(whileAway.ok(), "containers talk while dockerd is away: " + whileAway);
        try
        {
            dockerd.startDaemon();
        }
        catch (final IOException ex)
        {
            fail(ex);
        }
        assertEquals("served by docker through berth", fetch("client", "http://site/"));
        run("newcomer", "dnet", "sleep", "600");
        assertEquals("10.71.0.4", address("newcomer", "dnet"), "berth kept both addresses Docker holds");
    }

    @Test
    @Order(9)
    void aDockerContainerAndABerthSandboxShareOneBerthNetwork()
    {
        host.createNetwork("shared", "--subnet", "10.77.0.0/24");
        final String sandbox = host.run("s1", "--network", "shared", "--", "sleep", "600");
        final String sandboxIp = host.inspect(sandbox).path("NetworkSettings").path("Networks").path("shared")
            .path("IPAddress").asText();
        assertTrue(sandboxIp.startsWith("10.77.0."), sandboxIp);
        network("dshared", "-o", "berth.network=shared");
        run("d1", "dshared", "sleep", "600");
        final String dockerIp = address("d1", "dshared");
        assertTrue(dockerIp.startsWith("10.77.0.") && !dockerIp.equals(sandboxIp), dockerIp);
        assertTrue(dockerd.docker("exec", "d1", "ping", "-c", "1", "-W", "2", sandboxIp).ok(),
            "the Docker container reaches the berth sandbox");
        assertTrue(host.berth("exec", sandbox, "ping", "-c", "1", "-W", "2", dockerIp).ok(),
            "and the sandbox the Docker container");
        final JsonNode shared = host.inspectNetwork("shared");
        assertEquals(2, shared.path("Containers").size(), shared::toString);
        dockerd.dockerOk("rm", "-f", "d1");
        dockerd.dockerOk("network", "rm", "dshared");
        dockerNetworks.remove("dshared");
        assertEquals(1, host.inspectNetwork("shared").path("Containers").size(), "the berth network stays");
    }

    @Test
    @Order(10)
    void badCallsAreRefusedWithWhatWouldBeValid() throws IOException
    {
        final Result v6 = dockerd.docker("network", "create", "-d", driver, "--ipam-driver", driver, "--ipv6",
            "--subnet", "fd00:71::/64", "six");
        assertFalse(v6.ok(), v6::toString);
        final Result unknown = dockerd.docker("network", "create", "-d", driver, "--ipam-driver", driver, "-o",
            "berth.network=nosuch", "attach");
        assertFalse(unknown.ok(), unknown::toString);
        assertTrue(unknown.err().contains("nosuch"), unknown::toString);
        // not HTTP, then a body that is no JSON: answered, berthd serves on
        final Result garbage = Sh.run("sh", "-c", "printf 'hello\\r\\n\\r\\n' | nc -U -q 1 " + pluginSocket);
        assertTrue(garbage.out().contains("400"), garbage::toString);
        final Result notJson = Sh.run("curl", "-s", "--unix-socket", pluginSocket.toString(), "-X", "POST", "-d",
            "{nope", "http://plugin/NetworkDriver.CreateNetwork");
        assertTrue(notJson.out().contains("\"Err\"") && notJson.out().contains("not JSON"), notJson::toString);
        final Result activate = Sh.run("curl", "-s", "--unix-socket", pluginSocket.toString(), "-X", "POST",
            "http://plugin/Plugin.Activate");
        assertTrue(activate.out().contains("NetworkDriver") && activate.out().contains("IpamDriver"),
            activate::toString);
    }

    @Test
    @Order(11)
    void gatewayMtuUdpAndLoopbackOnlyPortsAndBerthsCounters()
    {
        network("tuned", "--subnet", "10.78.0.0/24", "--gateway", "10.78.0.254", "-o", "mtu=1400");
        run("tuned1", "tuned", "-p", "127.0.0.1:18092:80", "-p", "18093:9999/udp", "httpd", "-f", "-p", "80", "-h",
            "/www");
        final Result route = dockerd.dockerOk("exec", "tuned1", "ip", "route");
        assertTrue(route.out().contains("default via 10.78.0.254"), route::toString);
        final Result link = dockerd.dockerOk("exec", "tuned1", "ip", "link", "show", "eth0");
        assertTrue(link.out().contains("mtu 1400"), link::toString);
        assertTrue(dockerd.docker("exec", "tuned1", "ping", "-c", "1", "-W", "2", "10.78.0.254").ok());
        // 127.0.0.1 only: the proxy answers there, the uplink has no DNAT for it
        assertEquals("served by docker through berth", poll(() -> BerthHost.inNs(Duration.ofSeconds(10),
            host.hostNs(), "curl", "-s", "-m", "3", "http://127.0.0.1:18092/")));
        assertFalse(BerthHost.inNs(Duration.ofSeconds(10), outside, "curl", "-s", "-m", "2",
            "http://" + Uplink.UPLINK_IP + ":18092/").ok(), "published on 127.0.0.1 only");
        // udp: a server in the container's namespace (the image has none), reached from outside
        final BerthHost.Spawned server = host.spawn(host.hostNs(), "nsenter", "--net=/proc/" + pid("tuned1") +
            "/ns/net", "socat", "UDP-LISTEN:9999,fork", "EXEC:echo pong");
        assertEquals("pong", poll(() -> BerthHost.inNs(Duration.ofSeconds(10), outside, "sh", "-c",
            "echo ping | socat -t 2 - UDP:" + Uplink.UPLINK_IP + ":18093")));
        server.kill();
        // the container's port is one of berth's: counted like any other
        final String device = host.inspect(berthName("tuned1")).path("Docker").path("Device").asText();
        assertTrue(device.matches("bd[0-9a-f]{8}"), device);
        final Result counters = host.berthOk("counters");
        assertTrue(counters.out().contains(device), "the Docker container's TAP is among berth's ports:\n" + counters);
    }

    @Test
    @Order(12)
    void dockerContainersJoinBerthsMacvlanAndIpvlanNetworks()
    {
        int subnet = 82;
        for (String lanDriver : List.of("macvlan", "ipvlan"))
        {
            final String berthNet = "lan" + lanDriver.charAt(0);
            host.createNetwork(berthNet, "-d", lanDriver, "--internal", "--subnet", "192.168." + subnet + ".0/24");
            final String sandbox = host.run("s" + lanDriver.charAt(0), "--network", berthNet, "--", "sleep", "600");
            final String sandboxIp = host.inspect(sandbox).path("NetworkSettings").path("Networks").path(berthNet)
                .path("IPAddress").asText();
            network("d" + berthNet, "-o", "berth.network=" + berthNet);
            run("on" + lanDriver, "d" + berthNet, "sleep", "600");
            final String dockerIp = address("on" + lanDriver, "d" + berthNet);
            assertTrue(dockerIp.startsWith("192.168." + subnet + "."), dockerIp);
            assertTrue(dockerd.docker("exec", "on" + lanDriver, "ping", "-c", "1", "-W", "2", sandboxIp).ok(),
                "a Docker container on berth's " + lanDriver + " network reaches a berth sandbox there");
            assertTrue(host.berth("exec", sandbox, "ping", "-c", "1", "-W", "2", dockerIp).ok(), "and back");
            subnet++;
        }
    }

    // ----------------------------------------------------------------------------------------------- helpers

    /** {@code docker network create -d DRIVER --ipam-driver DRIVER OPTS NAME}, removed after the test; its id. */
    private String network(final String name, final String... opts)
    {
        final List<String> args = new ArrayList<>(List.of("network", "create", "-d", driver, "--ipam-driver",
            driver));
        args.addAll(List.of(opts));
        args.add(name);
        final String id = dockerd.dockerOk(args.toArray(String[]::new)).out().trim();
        dockerNetworks.add(0, name);
        return id;
    }

    /** {@code docker run -d --name NAME --network NETWORK [OPTS…] IMAGE CMD…}: OPTS are the args up to the command. */
    private void run(final String name, final String network, final String... optsAndCommand)
    {
        final List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, "--network", network));
        int i = 0;
        while (i < optsAndCommand.length && optsAndCommand[i].startsWith("-"))
        {
            args.add(optsAndCommand[i++]);
            if (i < optsAndCommand.length && !optsAndCommand[i].startsWith("-") && takesValue(args.get(args.size() - 1)))
            {
                args.add(optsAndCommand[i++]);
            }
        }
        args.add(Dockerd.IMAGE);
        args.addAll(List.of(optsAndCommand).subList(i, optsAndCommand.length));
        dockerd.dockerOk(args.toArray(String[]::new));
    }

    private static boolean takesValue(final String option)
    {
        return List.of("-p", "--ip", "--expose").contains(option);
    }

    private String address(final String container, final String network)
    {
        return dockerd.dockerOk("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + network + "\").IPAddress}}",
            container).out().trim();
    }

    private String pid(final String container)
    {
        return dockerd.dockerOk("inspect", "-f", "{{.State.Pid}}", container).out().trim();
    }

    /** berth's name for the container's (first) endpoint, found by its address. */
    private String berthName(final String container)
    {
        final String ip = dockerd.dockerOk("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            container).out().trim();
        for (String line : host.berthOk("ps").out().split("\n"))
        {
            final String[] columns = line.trim().split("\\s+");
            if (columns.length >= 4 && columns[3].equals(ip))
            {
                return columns[1];
            }
        }
        fail("berth lists no container with " + ip + ": " + host.berth("ps"));
        return null;
    }

    /**
     * The body of http://HOST:PORT/ fetched from inside CONTAINER with busybox nc (busybox-static's wget crashes in
     * these containers), retried until the listener answers.
     */
    private String fetch(final String container, final String url)
    {
        final String target = url.replaceFirst("^http://", "").replaceFirst("/$", "");
        final String hostName = target.contains(":") ? target.substring(0, target.indexOf(':')) : target;
        final String port = target.contains(":") ? target.substring(target.indexOf(':') + 1) : "80";
        final String response = poll(() -> dockerd.docker("exec", container, "sh", "-c",
            "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + hostName + " " + port));
        final int body = response.indexOf("\r\n\r\n");
        return body < 0 ? response : response.substring(body + 4).trim();
    }

    private static String poll(final Supplier<Result> attempt)
    {
        Result last = null;
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline)
        {
            last = attempt.get();
            if (last.ok() && !last.out().isBlank())
            {
                return last.out().trim();
            }
            try
            {
                Thread.sleep(200);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
        }
        fail("no answer within 20 s: " + last);
        return null;
    }
}
