package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BerthCliTest
{
    private final List<ObjectNode> requests = new ArrayList<>();
    private final List<List<String>> executed = new ArrayList<>();
    private JsonNode answer = Json.WIRE.createObjectNode().put("Id", "f".repeat(64));
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int berth(final String... args)
    {
        final BerthCli cli = new BerthCli(socket -> request ->
        {
            requests.add(request);
            if (answer == null)
            {
                throw new BerthException("refused by berthd");
            }
            return answer;
        }, command ->
        {
            executed.add(command);
            return 7;
        });
        final CommandLine commandLine = cli.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    private ObjectNode last()
    {
        return requests.get(requests.size() - 1);
    }

    @Test
    void networkCreateWithEveryOption()
    {
        assertEquals(0, berth("network", "create", "--driver=bridge", "--subnet=192.168.100.0/24",
            "--ip-range=192.168.100.0/26", "--gateway=192.168.100.1", "--internal", "-o", "icc=false",
            "--opt", "mtu=9000", "mybridge0"));
        final ObjectNode request = last();
        assertEquals("network.create", request.path("op").asText());
        assertEquals("mybridge0", request.path("name").asText());
        assertEquals("bridge", request.path("driver").asText());
        assertEquals("192.168.100.0/24", request.path("subnet").asText());
        assertEquals("192.168.100.0/26", request.path("ipRange").asText());
        assertEquals("192.168.100.1", request.path("gateway").asText());
        assertTrue(request.path("internal").asBoolean());
        assertEquals("[\"icc=false\",\"mtu=9000\"]", request.path("options").toString());
        assertTrue(request.path("clientPid").asLong() > 0);
        assertEquals("f".repeat(64), out.toString().trim());
    }

    @Test
    void shortDriverOptionAndDefaults()
    {
        assertEquals(0, berth("network", "create", "-d", "bridge", "n"));
        assertFalse(last().has("subnet"));
        assertFalse(last().path("internal").asBoolean());
        assertEquals(0, last().path("options").size());
    }

    @Test
    void runPassesTheCommandAfterDashDashUntouched()
    {
        assertEquals(0, berth("run", "-d", "--name", "vm1", "--network", "my_net2", "--ip", "172.22.0.10", "--",
            "sh", "-c", "nc -l -p 80 -e echo hi", "--name", "x"));
        final ObjectNode request = last();
        assertEquals("container.run", request.path("op").asText());
        assertEquals("vm1", request.path("name").asText());
        assertEquals("my_net2", request.path("network").asText());
        assertEquals("172.22.0.10", request.path("ip").asText());
        assertEquals("[\"sh\",\"-c\",\"nc -l -p 80 -e echo hi\",\"--name\",\"x\"]", request.path("cmd").toString());
    }

    @Test
    void runWithoutDashDashStopsAtTheCommand()
    {
        assertEquals(0, berth("run", "-d", "--name", "p", "ping", "-c", "1", "172.17.0.1"));
        assertEquals("[\"ping\",\"-c\",\"1\",\"172.17.0.1\"]", last().path("cmd").toString());
        assertFalse(last().has("network"));
        assertEquals(0, berth("run", "--name", "pause"));
        assertEquals(0, last().path("cmd").size());
    }

    @Test
    void runNeedsAName()
    {
        assertEquals(2, berth("run", "-d", "--", "sleep", "1"));
        assertTrue(err.toString().contains("--name"), err.toString());
        assertTrue(requests.isEmpty());
    }

    @Test
    void execEntersTheSandboxAndPassesTheExitCodeThrough()
    {
        answer = Json.WIRE.createObjectNode().put("Namespace", "vm1").put("BerthdPid", 42);
        assertEquals(7, berth("exec", "vm1", "--", "ping", "-c", "1", "vm2"));
        assertEquals(List.of("ip", "netns", "exec", "vm1", "ping", "-c", "1", "vm2"), executed.get(0));
        assertEquals(7, berth("exec", "-it", "vm1", "ip", "-br", "addr"));
        assertEquals(List.of("ip", "netns", "exec", "vm1", "ip", "-br", "addr"), executed.get(1));
    }

    @Test
    void execInHostModeEntersBerthdsNamespace()
    {
        answer = Json.WIRE.createObjectNode().putNull("Namespace").put("BerthdPid", 42);
        assertEquals(7, berth("exec", "h", "--", "ip", "link"));
        assertEquals(List.of("nsenter", "--net=/proc/42/ns/net", "--", "ip", "link"), executed.get(0));
    }

    @Test
    void refusalsGoToStderrWithExitCode1()
    {
        answer = null;
        assertEquals(1, berth("network", "rm", "a", "b"));
        assertEquals(2, requests.size(), "every name is tried");
        assertTrue(err.toString().contains("refused by berthd"));
        assertEquals(1, berth("inspect", "ghost"));
    }

    @Test
    void rmForceAndNetworkConnect()
    {
        assertEquals(0, berth("rm", "-f", "vm1", "vm2"));
        assertEquals("vm2", last().path("name").asText());
        assertTrue(last().path("force").asBoolean());
        assertEquals("vm1\nvm2", out.toString().trim());
        assertEquals(0, berth("network", "connect", "--ip", "172.22.0.9", "my_net2", "vm1"));
        assertEquals("my_net2", last().path("network").asText());
        assertEquals("vm1", last().path("container").asText());
        assertEquals("172.22.0.9", last().path("ip").asText());
        assertEquals(0, berth("network", "disconnect", "my_net2", "vm1"));
        assertEquals("network.disconnect", last().path("op").asText());
    }

    @Test
    void networkLsPrintsADockerLikeTable()
    {
        answer = Json.WIRE.createArrayNode().add(Json.WIRE.createObjectNode().put("Id", "0123456789abcdef")
            .put("Name", "bridge").put("Driver", "bridge").put("Scope", "local"));
        assertEquals(0, berth("network", "ls"));
        final String[] lines = out.toString().split("\n");
        assertEquals("NETWORK ID     NAME     DRIVER   SCOPE", lines[0]);
        assertEquals("0123456789ab   bridge   bridge   local", lines[1]);
    }

    @Test
    void unknownOptionsAreUsageErrors()
    {
        assertEquals(2, berth("network", "create", "--bogus", "x"));
        assertTrue(requests.isEmpty());
    }

    @Test
    void runPassesEveryPublishSpecAsGiven()
    {
        assertEquals(0, berth("run", "-d", "--name", "web", "-p", "12211:8080", "--publish", "127.0.0.1:53:53/udp",
            "-p=8000-8010:8000-8010", "--", "python3", "-m", "http.server", "8080"));
        assertEquals("[\"12211:8080\",\"127.0.0.1:53:53/udp\",\"8000-8010:8000-8010\"]",
            last().path("publish").toString());
        assertEquals("[\"python3\",\"-m\",\"http.server\",\"8080\"]", last().path("cmd").toString());
        assertEquals(0, berth("run", "--name", "plain", "sleep", "1"));
        assertFalse(last().has("publish"));
    }

    @Test
    void portListsMappingsLikeDocker()
    {
        answer = Json.WIRE.createArrayNode()
            .add(Json.WIRE.createObjectNode().put("ContainerPort", 8080).put("Protocol", "tcp")
                .put("HostIp", "0.0.0.0").put("HostPort", 12211))
            .add(Json.WIRE.createObjectNode().put("ContainerPort", 53).put("Protocol", "udp")
                .put("HostIp", "127.0.0.1").put("HostPort", 5353));
        assertEquals(0, berth("port", "web"));
        assertEquals("container.port", last().path("op").asText());
        assertEquals("web", last().path("name").asText());
        assertEquals("8080/tcp -> 0.0.0.0:12211\n53/udp -> 127.0.0.1:5353", out.toString().trim());
        out.getBuffer().setLength(0);
        assertEquals(0, berth("port", "web", "53/udp"));
        assertEquals("127.0.0.1:5353", out.toString().trim());
        assertEquals(1, berth("port", "web", "53"));
        assertTrue(err.toString().contains("no public port '53/tcp'"), err.toString());
    }

    @Test
    void conntrackLsPrintsOneLinePerConnection()
    {
        final ObjectNode c = Json.WIRE.createObjectNode().put("protocol", "tcp").put("state", "ESTABLISHED")
            .put("timeout", 7199);
        c.putObject("original").put("src", "172.17.0.2").put("dst", "10.99.0.2").put("sport", 40000)
            .put("dport", 8000);
        c.putObject("reply").put("src", "10.99.0.2").put("dst", "10.99.0.1").put("sport", 8000)
            .put("dport", 40000);
        c.putArray("flags").add("ASSURED").add("SNAT");
        answer = Json.WIRE.createArrayNode().add(c);
        assertEquals(0, berth("conntrack", "ls"));
        assertEquals("conntrack.ls", last().path("op").asText());
        assertEquals("tcp ESTABLISHED 7199s src=172.17.0.2 dst=10.99.0.2 sport=40000 dport=8000 | src=10.99.0.2 " +
            "dst=10.99.0.1 sport=8000 dport=40000  [ASSURED] [SNAT]", out.toString().trim());
        out.getBuffer().setLength(0);
        assertEquals(0, berth("conntrack", "ls", "-o", "json"));
        assertTrue(out.toString().contains("\"ESTABLISHED\""));
        assertEquals(2, berth("conntrack", "ls", "--bogus"));
        answer = Json.WIRE.createObjectNode().put("Flushed", 3);
        out.getBuffer().setLength(0);
        assertEquals(0, berth("conntrack", "flush"));
        assertEquals("conntrack.flush", last().path("op").asText());
        assertEquals("3 connection(s) flushed", out.toString().trim());
    }

    @Test
    void countersPrintConntrackAsATable()
    {
        final ObjectNode counters = Json.WIRE.createObjectNode();
        counters.putObject("ports");
        counters.putObject("drops");
        counters.putObject("networks");
        counters.putObject("conntrack").put("connections", 2).put("table_full", 0);
        answer = counters;
        assertEquals(0, berth("counters"));
        final String text = out.toString();
        assertTrue(text.contains("CONNTRACK     VALUE"), text);
        assertTrue(text.contains("connections   2"), text);
        assertTrue(text.contains("table_full    0"), text);
        assertFalse(text.contains("conntrack:"), text);
    }
}
