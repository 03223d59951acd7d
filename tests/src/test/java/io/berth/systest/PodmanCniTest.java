package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import org.junit.jupiter.api.Assumptions;

/**
 * Real podman (Debian's 4.3, runc, the CNI backend) on a berth network through berth's CNI plugin, and the plugin
 * called directly as a runtime would. podman gets a containers.conf, storage and plugin dirs of its own under a
 * temp dir (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF), and an image imported from a busybox-static rootfs (no
 * registry). podman runs in the root namespace, berthd in its own, so podman's reservation of -p ports does not
 * take berth's own. Everything podman made is removed at the end, also on failure.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PodmanCniTest extends UplinkTestBase
{
    private static final String NET = "pnet";
    private static final String IMAGE = "localhost/berth-busybox:test";
    private Path dir;
    private Path binDir;
    private Path confDir;
    private Map<String, String> podmanEnv;

    @BeforeAll
    void preparePodman() throws IOException
    {
        for (String tool : List.of("podman", "runc"))
        {
            requireTool(Capabilities.which(tool) != null, "`" + tool + "` (apt-get install podman runc)");
        }
        requireTool(Files.isExecutable(Path.of("/bin/busybox")), "/bin/busybox (apt-get install busybox-static)");
        dir = Files.createTempDirectory("berth-podman-");
        binDir = dir.resolve("cni-bin");
        confDir = dir.resolve("cni-conf");
        Files.createDirectories(binDir); // podman refuses plugin dirs that do not exist
        Files.createDirectories(confDir);
        Files.writeString(dir.resolve("containers.conf"), String.join("\n",
            "[containers]",
            // podman's default ulimits fail with EPERM on these machines
            "default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]",
            "[network]",
            "network_backend = \"cni\"",
            "cni_plugin_dirs = [\"" + binDir + "\"]",
            "network_config_dir = \"" + confDir + "\"",
            "[engine]",
            // crun refuses the cgroup v1 hybrid layout
            "runtime = \"runc\"",
            "cgroup_manager = \"cgroupfs\"",
            "events_logger = \"file\"",
            "tmp_dir = \"" + dir.resolve("tmp") + "\"",
            ""));
        Files.writeString(dir.resolve("storage.conf"), String.join("\n",
            "[storage]",
            "driver = \"vfs\"",
            "graphroot = \"" + dir.resolve("storage") + "\"",
            "runroot = \"" + dir.resolve("run") + "\"",
            ""));
        podmanEnv = Map.of("CONTAINERS_CONF", dir.resolve("containers.conf").toString(),
            "CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString());
        // the image: busybox-static and its applets, imported from a tarball
        final Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        for (String d : List.of("etc", "tmp", "proc", "sys", "dev", "www"))
        {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String applet : List.of("sh", "ping", "wget", "httpd", "ip", "cat", "sleep", "hostname", "nslookup"))
        {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Files.writeString(rootfs.resolve("www/index.html"), "served by podman through berth\n");
        mustOk(Sh.run("tar", "-C", rootfs.toString(), "-cf", dir.resolve("rootfs.tar").toString(), "."));
        mustOk(podman("import", dir.resolve("rootfs.tar").toString(), IMAGE));
        host.berthOk("network", "create", "--subnet", "10.61.0.0/24", NET);
    }

    @AfterAll
    void removePodmansThings()
    {
        if (podmanEnv != null)
        {
            podman("rm", "-a", "-f", "-t", "0");
            podman("rmi", "-a", "-f");
            podman("system", "reset", "-f");
        }
        if (dir != null)
        {
            Sh.run("rm", "-rf", dir.toString());
        }
        if (host != null && host.running())
        {
            host.berth("network", "rm", NET);
        }
    }

    @Test
    @Order(1)
    void installWritesThePluginAndConflistAndPodmanListsTheNetwork() throws IOException
    {
        final Result install = host.berthOk("cni", "install", "--network", NET, "--bin-dir", binDir.toString(),
            "--conf-dir", confDir.toString());
        assertTrue(install.out().contains(binDir.resolve("berth").toString()), install::toString);
        assertTrue(Files.isExecutable(binDir.resolve("berth")));
        final JsonNode conflist = BerthHost.JSON.readTree(confDir.resolve(NET + ".conflist").toFile());
        final JsonNode plugin = conflist.path("plugins").path(0);
        assertEquals("berth", plugin.path("type").asText(), conflist::toString);
        assertEquals(NET, plugin.path("network").asText(), conflist::toString);
        assertEquals(host.socket().toString(), plugin.path("socket").asText(), conflist::toString);
        assertTrue(plugin.path("capabilities").path("portMappings").asBoolean(), conflist::toString);
        assertTrue(plugin.path("capabilities").path("aliases").asBoolean(), conflist::toString);

        final Result ls = mustOk(podman("network", "ls", "--format", "{{.Name}} {{.Driver}}"));
        assertTrue(ls.out().lines().anyMatch(l -> l.equals(NET + " berth")), ls::toString);

        // an unknown network is refused and writes nothing
        final Result bad = host.berth("cni", "install", "--network", "nope", "--bin-dir", binDir.toString(),
            "--conf-dir", confDir.toString());
        assertFalse(bad.ok(), bad::toString);
        assertTrue(bad.err().contains("nope"), bad::toString);
        assertFalse(Files.exists(confDir.resolve("nope.conflist")));
    }

    @Test
    @Order(2)
    void twoContainersReachEachOtherByAddressNameAndHttp()
    {
        mustOk(podman("run", "-d", "--name", "pa", "--network", NET, IMAGE, "sleep", "600"));
        mustOk(podman("run", "-d", "--name", "pb", "--network", NET, "--network-alias", "web", IMAGE,
            "httpd", "-f", "-p", "80", "-h", "/www"));
        final String pbIp = ipOf("pb");
        assertTrue(pbIp.startsWith("10.61.0."), pbIp);
        assertPodmanPings("pa", pbIp);
        assertPodmanPings("pa", "pb");
        assertPodmanPings("pa", "web");
        final Result wget = podmanRetry("exec", "pa", "wget", "-q", "-O-", "http://pb/");
        assertTrue(wget.out().contains("served by podman through berth"), wget::toString);

        // berth's own view: the runtime's container id and namespace
        final String podmanId = mustOk(podman("inspect", "-f", "{{.Id}}", "pb")).out().trim();
        final String netns = mustOk(podman("inspect", "-f", "{{.NetworkSettings.SandboxKey}}", "pb")).out().trim();
        final JsonNode pb = host.inspect("pb");
        assertEquals(podmanId, pb.path("Cni").path("ContainerID").asText(), pb::toString);
        assertEquals(netns, pb.path("Cni").path("Netns").asText(), pb::toString);
        final String ps = host.berthOk("ps").out();
        assertTrue(ps.lines().anyMatch(l -> l.contains("pb") && l.contains(pbIp) && l.contains(podmanId.substring(0, 12))
            && l.contains(netns)), ps);
        // berth rm refuses a container podman owns
        final Result rm = host.berth("rm", "pb");
        assertFalse(rm.ok(), rm::toString);
        assertTrue(rm.err().contains("podman rm"), rm::toString);
    }

    @Test
    @Order(3)
    void publishedPortIsReachedFromOutsideAndFromTheHostLoopback()
    {
        mustOk(podman("run", "-d", "--name", "pweb", "--network", NET, "-p", "18080:80", IMAGE,
            "httpd", "-f", "-p", "80", "-h", "/www"));
        Net.assertHttpOk(outside, Uplink.UPLINK_IP, 18080, host);
        Net.assertHttpOk(host.hostNs(), "127.0.0.1", 18080, host);
        final String ports = host.berthOk("port", "pweb").out();
        assertTrue(ports.contains("80/tcp -> 0.0.0.0:18080"), ports);
    }

    @Test
    @Order(4)
    void podmanRmFreesTheAddressAndThePort()
    {
        mustOk(podman("run", "-d", "--name", "pin", "--network", NET, "--ip", "10.61.0.200", "-p", "18081:80", IMAGE,
            "httpd", "-f", "-p", "80", "-h", "/www"));
        assertEquals("10.61.0.200", ipOf("pin"));
        mustOk(podman("rm", "-f", "-t", "0", "pin"));
        assertFalse(host.berthOk("ps").out().contains("pin"), "podman rm must remove berth's container");
        assertEquals("000", Net.httpStatus(outside, Uplink.UPLINK_IP, 18081, 2), "the port must be unpublished");
        // address and port are free again
        mustOk(podman("run", "-d", "--name", "pin2", "--network", NET, "--ip", "10.61.0.200", "-p", "18081:80", IMAGE,
            "httpd", "-f", "-p", "80", "-h", "/www"));
        Net.assertHttpOk(outside, Uplink.UPLINK_IP, 18081, host);
        mustOk(podman("rm", "-f", "-t", "0", "pin2"));
    }

    @Test
    @Order(5)
    void aRestartOfBerthdKeepsBothContainersReachable()
    {
        final String pbIp = ipOf("pb");
        host.restartBerthd();
        assertPodmanPings("pa", pbIp);
        assertPodmanPings("pa", "web");
        Net.assertHttpOk(outside, Uplink.UPLINK_IP, 18080, host);
        assertTrue(host.berthOk("ps").out().contains("pb"));
    }

    @Test
    @Order(6)
    void directCallsFollowTheSpecAndItsErrorCodes() throws Exception
    {
        final String plugin = binDir.resolve("berth").toString();
        final String socket = host.socket().toString();
        final String good = "{\"cniVersion\":\"1.0.0\",\"name\":\"direct\",\"type\":\"berth\",\"network\":\"" + NET +
            "\",\"socket\":\"" + socket + "\"}";
        // VERSION, for each version, needs no berthd
        for (String version : List.of("0.4.0", "1.0.0", "1.1.0"))
        {
            final Call v = call(plugin, Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"" + version + "\"}");
            assertEquals(0, v.exit, v::toString);
            assertEquals(version, v.json().path("cniVersion").asText(), v::toString);
            assertEquals("[\"0.4.0\",\"1.0.0\",\"1.1.0\"]", v.json().path("supportedVersions").toString(), v::toString);
        }
        final String ns = host.name("cni");
        mustOk(Sh.run("ip", "netns", "add", ns));
        try
        {
            final Map<String, String> add = Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "direct1",
                "CNI_NETNS", "/run/netns/" + ns, "CNI_IFNAME", "eth0", "CNI_PATH", binDir.toString(),
                "CNI_ARGS", "IP=10.61.0.77;MAC=02:aa:bb:cc:dd:07");
            // bad env: 4
            assertError(call(plugin, without(add, "CNI_CONTAINERID"), good), 4, "CNI_CONTAINERID");
            assertError(call(plugin, without(add, "CNI_NETNS"), good), 4, "CNI_NETNS");
            assertError(call(plugin, with(add, "CNI_COMMAND", "FROB"), good), 4, "FROB");
            assertError(call(plugin, with(add, "CNI_NETNS", "/run/netns/" + ns + "-absent"), good), 4, "absent");
            // berthd's own namespace is no container's (issue 24): refused, and nothing is put there
            assertError(call(plugin, with(add, "CNI_NETNS", "/run/netns/" + host.hostNs()), good), 4,
                "namespace of this berthd");
            assertFalse(Sh.run("ip", "-n", host.hostNs(), "link", "show", "eth0").ok(), "an eth0 in berthd's namespace");
            assertError(call(plugin, with(add, "CNI_ARGS", "FOO=1"), good), 4, "FOO");
            assertError(call(plugin, with(add, "CNI_ARGS", "MAC=zz"), good), 4, "zz");
            // bad config: 6 (not JSON), 7 (invalid), 1 (a version berth does not speak)
            assertError(call(plugin, add, "{not json"), 6, "JSON");
            assertError(call(plugin, add, good.replace("\"type\":\"berth\"", "\"type\":\"bridge\"")), 7, "bridge");
            assertError(call(plugin, add, good.replace("\"network\":\"" + NET + "\"", "\"network\":\"nope\"")), 7, "nope");
            assertError(call(plugin, add, good.replace("1.0.0", "0.3.1")), 1, "0.3.1");
            // berth's own refusal: an address outside the subnet
            assertError(call(plugin, with(add, "CNI_ARGS", "IP=10.62.0.5"), good), 100, "10.62.0.5");
            assertFalse(host.berthOk("ps").out().contains("direct1"), "refused calls must leave nothing behind");

            // ADD with IP= and MAC= honoured, a 1.0.0 result (no "version" in ips)
            final Call added = call(plugin, add, good);
            assertEquals(0, added.exit, added::toString);
            final JsonNode result = added.json();
            assertEquals("1.0.0", result.path("cniVersion").asText(), added::toString);
            assertEquals("10.61.0.77/24", result.path("ips").path(0).path("address").asText(), added::toString);
            assertEquals("10.61.0.1", result.path("ips").path(0).path("gateway").asText(), added::toString);
            assertTrue(result.path("ips").path(0).path("version").isMissingNode(), added::toString);
            assertEquals("02:aa:bb:cc:dd:07", result.path("interfaces").path(0).path("mac").asText(), added::toString);
            assertEquals("/run/netns/" + ns, result.path("interfaces").path(0).path("sandbox").asText(), added::toString);
            assertEquals("0.0.0.0/0", result.path("routes").path(0).path("dst").asText(), added::toString);
            assertEquals("127.0.0.11", result.path("dns").path("nameservers").path(0).asText(), added::toString);
            final JsonNode eth0 = Net.link(Net.addrs(ns), "eth0");
            assertEquals("02:aa:bb:cc:dd:07", eth0.path("address").asText(), eth0::toString);
            assertTrue(Net.ipv4(eth0).contains("10.61.0.77/24"), eth0::toString);
            Net.assertPings(ns, "10.61.0.1", host);

            // CHECK against prevResult: fine, then wrong once the address is gone
            final String withPrev = good.substring(0, good.length() - 1) + ",\"prevResult\":" + result + "}";
            final Map<String, String> check = with(add, "CNI_COMMAND", "CHECK");
            final Call ok = call(plugin, check, withPrev);
            assertEquals(0, ok.exit, ok::toString);
            assertError(call(plugin, check, good), 7, "prevResult");
            mustOk(Sh.run("ip", "-n", ns, "addr", "del", "10.61.0.77/24", "dev", "eth0"));
            assertError(call(plugin, check, withPrev), 101, "10.61.0.77");
            assertError(call(plugin, with(check, "CNI_CONTAINERID", "unknown9"), withPrev), 3, "unknown9");

            // STATUS and GC (1.1.0): GC deletes what is not listed
            final String v11 = good.replace("1.0.0", "1.1.0");
            assertEquals(0, call(plugin, Map.of("CNI_COMMAND", "STATUS"), v11).exit);
            assertError(call(plugin, Map.of("CNI_COMMAND", "STATUS"), good), 1, "1.1.0");
            // GC lists what the runtime still has (podman's three): the direct attachment is deleted, they stay
            final StringBuilder valid = new StringBuilder();
            for (String c : List.of("pa", "pb", "pweb"))
            {
                final String id = mustOk(podman("inspect", "-f", "{{.Id}}", c)).out().trim();
                valid.append(valid.length() == 0 ? "" : ",").append("{\"containerID\":\"").append(id)
                    .append("\",\"ifname\":\"eth0\"}");
            }
            final String gcConfig = v11.substring(0, v11.length() - 1) + ",\"cni.dev/valid-attachments\":[" + valid +
                "]}";
            final Call gc = call(plugin, Map.of("CNI_COMMAND", "GC"), gcConfig);
            assertEquals(0, gc.exit, gc::toString);
            final String afterGc = host.berthOk("ps").out();
            assertFalse(afterGc.contains("direct1"), "GC must delete the unlisted attachment\n" + afterGc);
            for (String c : List.of("pa", "pb", "pweb"))
            {
                assertTrue(afterGc.contains(c), "GC must keep " + c + "\n" + afterGc);
            }
            assertPodmanPings("pa", "pb");

            // DEL is idempotent: twice, and with the namespace gone
            final Map<String, String> del = with(add, "CNI_COMMAND", "DEL");
            assertEquals(0, call(plugin, del, good).exit);
            assertEquals(0, call(plugin, del, good).exit);
            Sh.run("ip", "netns", "del", ns);
            assertEquals(0, call(plugin, with(del, "CNI_NETNS", "/run/netns/" + ns), good).exit);

            // podman in berthd's own namespace reserves its -p ports there: berth publishes them on the uplink,
            // where its dataplane answers, and refuses a loopback-only mapping it could not serve
            mustOk(Sh.run("ip", "netns", "add", ns));
            final List<String> inBerthdsNs = List.of("ip", "netns", "exec", host.hostNs(), plugin);
            final String mapped = good.substring(0, good.length() - 1) + ",\"runtimeConfig\":{\"portMappings\":" +
                "[{\"hostPort\":18090,\"containerPort\":80,\"protocol\":\"tcp\"}]}}";
            final Map<String, String> add2 = with(with(add, "CNI_CONTAINERID", "direct2"), "CNI_ARGS", "");
            assertError(call(inBerthdsNs, add2, mapped.replace("\"hostPort\"", "\"hostIP\":\"127.0.0.1\",\"hostPort\"")),
                100, "reserves");
            final Call shared = call(inBerthdsNs, add2, mapped);
            assertEquals(0, shared.exit, shared::toString);
            final String sharedPorts = host.berthOk("port", "cni-direct2").out();
            assertTrue(sharedPorts.contains("80/tcp -> " + Uplink.UPLINK_IP + ":18090"), sharedPorts);
            assertEquals(0, call(plugin, with(add2, "CNI_COMMAND", "DEL"), mapped).exit);
            assertFalse(host.berthOk("ps").out().contains("direct2"));

            // berthd away: try again later (11); STATUS says the plugin is not available (50)
            final String away = good.replace(socket, dir.resolve("absent.sock").toString());
            assertError(call(plugin, with(add, "CNI_NETNS", "/run/netns/" + host.hostNs()), away), 11, "absent.sock");
            assertError(call(plugin, Map.of("CNI_COMMAND", "STATUS"), away.replace("1.0.0", "1.1.0")), 50, "absent");
        }
        finally
        {
            host.berth("rm", "-f", "cni-direct1"); // what a failed assertion may have left
            host.berth("rm", "-f", "cni-direct2");
            Sh.run("ip", "netns", "del", ns);
        }
    }

    @Test
    @Order(7)
    void uninstallRemovesBoth()
    {
        podman("rm", "-a", "-f", "-t", "0");
        final Result un = host.berthOk("cni", "uninstall", "--network", NET, "--bin-dir", binDir.toString(),
            "--conf-dir", confDir.toString());
        assertTrue(un.out().contains(NET + ".conflist"), un::toString);
        assertFalse(Files.exists(confDir.resolve(NET + ".conflist")));
        assertFalse(Files.exists(binDir.resolve("berth")));
        assertFalse(mustOk(podman("network", "ls")).out().contains(NET));
        // podman rm -a has freed every address: the network can go
        host.berthOk("network", "rm", NET);
        host.berthOk("network", "create", "--subnet", "10.61.0.0/24", NET);
    }

    // ------------------------------------------------------------------------------------------ helpers

    private record Call(int exit, String out, String err)
    {
        JsonNode json()
        {
            try
            {
                return BerthHost.JSON.readTree(out);
            }
            catch (IOException ex)
            {
                throw new AssertionError("the plugin printed no JSON: " + this, ex);
            }
        }
    }

    /** Runs the plugin as a runtime does: the CNI_* environment (and nothing else of CNI), the config on stdin. */
    private static Call call(String plugin, Map<String, String> env, String stdin) throws Exception
    {
        return call(List.of(plugin), env, stdin);
    }

    private static Call call(List<String> command, Map<String, String> env, String stdin) throws Exception
    {
        final ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("CNI_") || k.equals("BERTH_SOCKET"));
        pb.environment().putAll(env);
        final Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            fail("the plugin did not finish in 30 s: " + env);
        }
        return new Call(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
            new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static void assertError(Call call, int code, String mentions)
    {
        assertTrue(call.exit != 0, () -> "an error must exit non-zero: " + call);
        final JsonNode error = call.json();
        assertEquals(code, error.path("code").asInt(), call::toString);
        assertTrue((error.path("msg").asText() + " " + error.path("details").asText()).contains(mentions),
            () -> "the error must name " + mentions + ": " + call);
    }

    private static Map<String, String> with(Map<String, String> env, String key, String value)
    {
        final Map<String, String> copy = new HashMap<>(env);
        copy.put(key, value);
        return copy;
    }

    private static Map<String, String> without(Map<String, String> env, String key)
    {
        final Map<String, String> copy = new HashMap<>(env);
        copy.remove(key);
        return copy;
    }

    private Result podman(String... args)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add("podman");
        cmd.addAll(List.of(args));
        return Sh.run(Duration.ofSeconds(120), podmanEnv, cmd);
    }

    /** A podman exec that may need a moment (the first ARP, the DNS socket): retried for up to 10 s. */
    private Result podmanRetry(String... args)
    {
        Result r = podman(args);
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!r.ok() && System.nanoTime() < deadline)
        {
            BerthHost.sleep(300);
            r = podman(args);
        }
        return r;
    }

    private void assertPodmanPings(String container, String target)
    {
        final Result r = podmanRetry("exec", container, "ping", "-c", "1", "-W", "2", target);
        assertTrue(r.ok(), () -> container + " must ping " + target + "\n" + r + "\n" + host.logTail());
    }

    private String ipOf(String container)
    {
        return mustOk(podman("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + NET + "\").IPAddress}}",
            container)).out().trim();
    }

    private Result mustOk(Result r)
    {
        if (!r.ok())
        {
            fail("command failed\n" + r + "\n" + (host == null ? "" : host.logTail()));
        }
        return r;
    }

    private static void requireTool(boolean present, String what)
    {
        if (present)
        {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI")))
        {
            fail("CI=true and " + what + " is missing");
        }
        Assumptions.assumeTrue(false, "the podman test needs " + what);
    }
}
