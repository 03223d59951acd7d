package io.berth.control.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.api.ApiServer;
import io.berth.control.client.ServedCall;
import io.berth.control.dns.ResolvConf;
import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.sandbox.Commands;
import io.berth.control.sandbox.Sandboxes;
import io.berth.control.state.CniController;
import io.berth.control.state.Container;
import io.berth.control.state.ControlService;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * berthd's side of the CNI plugin (op {@code cni}): checks the call on the client's connection thread, executes
 * it on the control thread, and answers with the result (or error) JSON and the plugin's exit code as
 * {@link ServedCall} frames.
 */
public final class CniService implements ApiServer.Streamer
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.cni");
    private final ControlService service;
    private final Sandboxes sandboxes;
    private final ExecutorService controlThread;

    public CniService(final ControlService service, final Sandboxes sandboxes, final ExecutorService controlThread)
    {
        this.service = service;
        this.sandboxes = sandboxes;
        this.controlThread = controlThread;
    }

    @Override
    public boolean streams(final String op)
    {
        return op.equals("cni");
    }

    @Override
    public void stream(final JsonNode request, final OutputStream out) throws IOException
    {
        final Map<String, String> env = new LinkedHashMap<>();
        request.path("env").fields().forEachRemaining(field -> env.put(field.getKey(), field.getValue().asText()));
        final String stdin = request.path("config").asText("");
        final long clientPid = request.path("clientPid").asLong(0);
        String answer;
        int code = 0;
        try
        {
            answer = call(env, stdin, clientPid);
        }
        catch (final CniError ex)
        {
            answer = errorJson(versionOf(stdin), ex);
            code = 1;
        }
        if (!answer.isEmpty())
        {
            ServedCall.writeFrame(out, ServedCall.STDOUT, (answer + "\n").getBytes(StandardCharsets.UTF_8));
        }
        ServedCall.writeFrame(out, ServedCall.EXIT, ServedCall.exitPayload(code));
    }

    /** One plugin call: its stdout (empty for DEL, STATUS and GC); throws {@link CniError}. */
    public String call(final Map<String, String> env, final String stdin, final long clientPid)
    {
        final CniRequest cni = CniRequest.parse(env, stdin);
        return switch (cni.command())
        {
            case "VERSION" -> versionJson(cni.cniVersion());
            case "STATUS" -> "";
            case "ADD" -> onControlThread(clientPid, () -> add(cni, clientPid)).toString();
            case "DEL" -> onControlThread(clientPid, () ->
            {
                service.cni().cniDel(cni.containerId(), cni.ifName());
                return "";
            }).toString();
            case "CHECK" -> onControlThread(clientPid, () -> check(cni)).toString();
            case "GC" -> onControlThread(clientPid, () -> gc(cni)).toString();
            default -> throw new CniError(CniError.INVALID_ENVIRONMENT, "unknown CNI_COMMAND " + cni.command());
        };
    }

    public static String versionJson(final String cniVersion)
    {
        final ObjectNode version = Json.WIRE.createObjectNode();
        version.put("cniVersion", CniRequest.VERSIONS.contains(cniVersion) ? cniVersion : "1.1.0");
        final ArrayNode supported = version.putArray("supportedVersions");
        CniRequest.VERSIONS.forEach(supported::add);
        return version.toString();
    }

    public static String errorJson(final String cniVersion, final CniError error)
    {
        final ObjectNode json = Json.WIRE.createObjectNode();
        json.put("cniVersion", CniRequest.VERSIONS.contains(cniVersion) ? cniVersion : "1.1.0");
        json.put("code", error.code());
        json.put("msg", error.getMessage());
        if (!error.details().isEmpty())
        {
            json.put("details", error.details());
        }
        return json.toString();
    }

    /** The config's network, which must exist (else the config is invalid). */
    private Network network(final CniRequest cni)
    {
        try
        {
            return service.state().network(cni.network());
        }
        catch (final BerthException ex)
        {
            throw new CniError(CniError.INVALID_CONFIG, ex.getMessage(), "the config's \"network\" names a berth " +
                "network (berth network ls)");
        }
    }

    private Object add(final CniRequest cni, final long clientPid)
    {
        network(cni);
        if (!sandboxes.exists(cni.netns()))
        {
            throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_NETNS " + cni.netnsPath() + " is no network " +
                "namespace", "no nsfs mount at /run/netns/" + cni.netns());
        }
        final String daemon = DaemonNamespaces.daemonIn(Path.of("/run/netns", cni.netns()));
        if (daemon != null)
        {
            throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_NETNS " + cni.netnsPath() + " is the network " +
                "namespace of " + daemon + ", not a container's", "give a container's own network namespace");
        }
        try
        {
            // the runtime's job, but the embedded DNS listens on 127.0.0.11 and needs it: a no-op when up
            Commands.run(List.of("ip", "-n", cni.netns(), "link", "set", "lo", "up"));
        }
        catch (final IOException ex)
        {
            throw new CniError(CniError.IO_FAILURE, "cannot set lo up in " + cni.netnsPath(), ex.getMessage());
        }
        final JsonNode runtime = cni.config().path("runtimeConfig");
        final List<String> publish = new ArrayList<>();
        final boolean runtimeHere = sameNetworkNamespace(clientPid);
        for (final JsonNode mapping : runtime.path("portMappings"))
        {
            publish.add(publishSpec(mapping, runtimeHere));
        }
        final List<String> aliases = new ArrayList<>();
        for (final JsonNode alias : runtime.path("aliases").path(cni.config().path("name").asText()))
        {
            aliases.add(alias.asText());
        }
        String ip = cni.args().get("IP");
        final JsonNode ips = runtime.path("ips");
        if (ip == null && ips.isArray() && ips.size() > 0)
        {
            ip = ips.get(0).asText();
        }
        if (ip != null && ip.contains("/"))
        {
            ip = ip.substring(0, ip.indexOf('/'));
        }
        final long mac = parseMac(cni.args().getOrDefault("MAC", runtime.path("mac").asText("")));
        final Container container = service.cni().cniAdd(new CniController.CniAdd(cni.containerId(), cni.netns(),
            cni.netnsPath(), cni.ifName(), cni.network(), cni.args().get("K8S_POD_NAME"), ip, mac, publish, aliases));
        return result(cni, container, CniController.endpointNamed(container, cni.ifName()));
    }

    /** The ADD result in the config's cniVersion (0.4.0's ips carry a "version"). */
    private ObjectNode result(final CniRequest cni, final Container container, final Endpoint endpoint)
    {
        final Network network = service.state().networkById(endpoint.networkId());
        final ObjectNode result = Json.WIRE.createObjectNode();
        result.put("cniVersion", cni.cniVersion());
        result.putArray("interfaces").addObject()
            .put("name", endpoint.ifName())
            .put("mac", Ipv4.formatMac(endpoint.mac()))
            .put("sandbox", cni.netnsPath());
        final ArrayNode ips = result.putArray("ips");
        // an IPv6-only network's IPv4 address is berth's bookkeeping, not the container's: no IPv4 in the result
        final int gateway = network.ipv4() ? network.gatewayOf(endpoint.ip()) : 0;
        if (network.ipv4())
        {
            final ObjectNode address = ips.addObject();
            if (cni.cniVersion().equals("0.4.0"))
            {
                address.put("version", "4");
            }
            address.put("interface", 0);
            address.put("address", Ipv4.format(endpoint.ip()) + "/" + network.subnetOf(endpoint.ip()).prefixLength());
            if (gateway != 0)
            {
                address.put("gateway", Ipv4.format(gateway));
            }
        }
        // a dual-stack network: the IPv6 address (the prefix with the IPv4 host part) and gateway too
        final long[] ip6 = network.ipv6AddressOf(endpoint.ip());
        final long[] gateway6Address = network.ipv6Gateway();
        final String gateway6 = gateway6Address == null ? null : Ipv6Cidr.format(gateway6Address[0], gateway6Address[1]);
        if (ip6 != null)
        {
            final ObjectNode address6 = result.withArray("ips").addObject();
            if (cni.cniVersion().equals("0.4.0"))
            {
                address6.put("version", "6");
            }
            address6.put("interface", 0);
            address6.put("address", Ipv6Cidr.format(ip6[0], ip6[1]) + "/" + network.ipv6Subnet().prefixLength());
            address6.put("gateway", gateway6);
        }
        final ArrayNode routes = result.putArray("routes");
        final boolean eth0 = container.endpoints().iterator().next().equals(endpoint);
        if (gateway != 0 && eth0 && !network.internal())
        {
            routes.addObject().put("dst", "0.0.0.0/0").put("gw", Ipv4.format(gateway));
            if (ip6 != null)
            {
                routes.addObject().put("dst", "::/0").put("gw", gateway6);
            }
        }
        if (!network.isPredefined())
        {
            result.putObject("dns").putArray("nameservers").add(ResolvConf.EMBEDDED);
        }
        return result;
    }

    /** CHECK: the interface, its MAC and address, and the default route, as prevResult says. */
    private Object check(final CniRequest cni)
    {
        final JsonNode previous = cni.config().path("prevResult");
        if (!previous.isObject())
        {
            throw new CniError(CniError.INVALID_CONFIG, "CHECK needs the config's prevResult",
                "the result ADD printed, as the runtime keeps it");
        }
        final Container container = service.cni().cniContainer(cni.containerId());
        final Endpoint endpoint = container == null ? null : CniController.endpointNamed(container, cni.ifName());
        if (endpoint == null)
        {
            throw new CniError(CniError.UNKNOWN_CONTAINER, "berth has no interface " + cni.ifName() + " of container " +
                cni.containerId());
        }
        final List<String> problems = new ArrayList<>();
        final String mac = Ipv4.formatMac(endpoint.mac());
        for (final JsonNode iface : previous.path("interfaces"))
        {
            if (iface.path("name").asText().equals(cni.ifName()) && !iface.path("mac").asText().equalsIgnoreCase(mac))
            {
                problems.add("prevResult has MAC " + iface.path("mac").asText() + ", berth gave " + mac);
            }
        }
        try
        {
            final JsonNode links = Json.WIRE.readTree(Commands.run(List.of("ip", "-n", cni.netns(), "-j", "addr",
                "show", "dev", cni.ifName())));
            final JsonNode link = links.path(0);
            if (!link.path("address").asText().equalsIgnoreCase(mac))
            {
                problems.add(cni.ifName() + " has MAC " + link.path("address").asText() + ", not " + mac);
            }
            final Set<String> addresses = new HashSet<>();
            for (final JsonNode info : link.path("addr_info"))
            {
                addresses.add(info.path("local").asText() + "/" + info.path("prefixlen").asText());
            }
            for (final JsonNode ip : previous.path("ips"))
            {
                if (!addresses.contains(ip.path("address").asText()))
                {
                    problems.add(cni.ifName() + " lacks " + ip.path("address").asText() + " (has " + addresses + ")");
                }
            }
            final String routes = Commands.run(List.of("ip", "-n", cni.netns(), "-j", "route", "show"));
            final JsonNode table = Json.WIRE.readTree(routes);
            for (final JsonNode route : previous.path("routes"))
            {
                final String dst = route.path("dst").asText();
                final String wanted = dst.equals("0.0.0.0/0") ? "default" : dst;
                boolean found = false;
                for (final JsonNode have : table)
                {
                    found |= have.path("dst").asText().equals(wanted) &&
                        (route.path("gw").isMissingNode() ||
                            have.path("gateway").asText().equals(route.path("gw").asText()));
                }
                if (!found)
                {
                    problems.add("no route to " + dst + (route.has("gw") ? " via " + route.path("gw").asText() : ""));
                }
            }
        }
        catch (final IOException ex)
        {
            throw new CniError(CniError.IO_FAILURE, "cannot read " + cni.ifName() + " in " + cni.netnsPath(),
                ex.getMessage());
        }
        if (!problems.isEmpty())
        {
            throw new CniError(CniError.CHECK_FAILED, cni.ifName() + " of container " + cni.containerId() +
                " is not as prevResult says", String.join("; ", problems));
        }
        return "";
    }

    /** GC: attachments to the network that {@code cni.dev/valid-attachments} does not list are deleted. */
    private Object gc(final CniRequest cni)
    {
        network(cni);
        final Set<String> valid = new HashSet<>();
        for (final JsonNode attachment : cni.config().path("cni.dev/valid-attachments"))
        {
            valid.add(attachment.path("containerID").asText() + "/" + attachment.path("ifname").asText());
        }
        final List<String> deleted = service.cni().cniGc(cni.network(), valid);
        if (!deleted.isEmpty())
        {
            LOG.log(System.Logger.Level.INFO, "CNI GC on " + cni.network() + " deleted " + deleted);
        }
        return "";
    }

    /**
     * A runtime config port mapping as {@code berth run -p} takes it. podman reserves every published host port
     * itself, with a listening socket on HOSTIP:PORT in its own network namespace. When that is berthd's, the
     * kernel's port is podman's and berth's loopback proxy cannot have it: the port is then published on the
     * uplink only, where berth's dataplane answers before the kernel sees a packet.
     */
    private String publishSpec(final JsonNode mapping, final boolean runtimeHere)
    {
        final int host = mapping.path("hostPort").asInt(0);
        final int container = mapping.path("containerPort").asInt(0);
        if (host <= 0 || container <= 0)
        {
            throw new CniError(CniError.INVALID_CONFIG, "port mapping " + mapping + " lacks hostPort or containerPort",
                "{\"hostPort\": 8080, \"containerPort\": 80, \"protocol\": \"tcp\"}");
        }
        final String protocol = mapping.path("protocol").asText("tcp").toLowerCase(Locale.ROOT);
        String hostIp = mapping.path("hostIP").asText("");
        if (runtimeHere)
        {
            final int uplink = service.uplinkIp();
            final String uplinkText = uplink == 0 ? null : Ipv4.format(uplink);
            if (uplinkText == null || !(hostIp.isEmpty() || hostIp.equals("0.0.0.0") || hostIp.equals(uplinkText)))
            {
                throw new CniError(CniError.REFUSED, "cannot publish " + (hostIp.isEmpty() ? "" : hostIp + ":") +
                    host + ": podman reserves that port itself in berthd's own network namespace, where berth's " +
                    "loopback proxy would need it", uplinkText == null ? "give berthd an --uplink (published " +
                    "ports are then served there), or run berthd in a namespace of its own" : "publish on the " +
                    "uplink address " + uplinkText + " (or all addresses), which berth serves in its dataplane");
            }
            hostIp = uplinkText;
        }
        return (hostIp.isEmpty() ? "" : hostIp + ":") + host + ":" + container + "/" + (protocol.isEmpty() ? "tcp" :
            protocol);
    }

    /** Whether the plugin process runs in berthd's network namespace (podman and berthd on the same host stack). */
    private static boolean sameNetworkNamespace(final long pid)
    {
        if (pid <= 0)
        {
            return false;
        }
        try
        {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net"))
                .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
        }
        catch (final IOException ex)
        {
            return false; // the plugin is gone already, or not ours to see
        }
    }

    private static long parseMac(final String text)
    {
        if (text.isEmpty())
        {
            return 0;
        }
        final String[] parts = text.split(":");
        long mac = 0;
        try
        {
            if (parts.length != 6)
            {
                throw new NumberFormatException();
            }
            for (final String part : parts)
            {
                if (part.length() != 2)
                {
                    throw new NumberFormatException();
                }
                mac = (mac << 8) | Integer.parseInt(part, 16);
            }
        }
        catch (final NumberFormatException ex)
        {
            throw new CniError(CniError.INVALID_ENVIRONMENT, "MAC " + text + " is malformed", "six hex pairs, such " +
                "as 02:42:0a:00:00:05");
        }
        if ((mac & 0x0100_0000_0000L) != 0 || mac == 0)
        {
            throw new CniError(CniError.INVALID_ENVIRONMENT, "MAC " + text + " is not a unicast address",
                "the first byte's lowest bit must be 0, e.g. 02:42:0a:00:00:05");
        }
        return mac;
    }

    /** Runs {@code task} on the control thread for the plugin process {@code clientPid}; refusals become 100. */
    private Object onControlThread(final long clientPid, final Callable<Object> task)
    {
        try
        {
            return controlThread.submit(() ->
            {
                sandboxes.caller(clientPid);
                try
                {
                    return task.call();
                }
                finally
                {
                    sandboxes.caller(0);
                }
            }).get();
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof CniError error)
            {
                throw error;
            }
            if (cause instanceof BerthException)
            {
                throw new CniError(CniError.REFUSED, cause.getMessage());
            }
            LOG.log(System.Logger.Level.ERROR, "CNI call failed", cause);
            throw new CniError(CniError.IO_FAILURE, "internal error: " + cause);
        }
        catch (final InterruptedException | RejectedExecutionException ex)
        {
            throw new CniError(CniError.TRY_AGAIN, "berthd is shutting down");
        }
    }

    /** The config's cniVersion, for an error's own, even when the config is not JSON. */
    private static String versionOf(final String stdin)
    {
        try
        {
            return Json.WIRE.readTree(stdin).path("cniVersion").asText("1.1.0");
        }
        catch (final IOException | RuntimeException ex)
        {
            return "1.1.0";
        }
    }
}
