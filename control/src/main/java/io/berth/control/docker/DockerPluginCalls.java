package io.berth.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.model.Network;
import io.berth.control.state.Container;
import io.berth.control.state.ControlService;
import io.berth.control.state.DockerController;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * libnetwork's remote network driver and remote IPAM driver calls, by path, in Docker's JSON shapes: each turned
 * into a {@link DockerController} call and its answer. Network driver errors answer {@code {"Err": ...}}, IPAM
 * errors {@code {"Error": ...}}; Docker shows either to its user. Control thread.
 */
final class DockerPluginCalls
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.docker");
    static final String NETWORK_DRIVER = "/NetworkDriver.";
    static final String IPAM_DRIVER = "/IpamDriver.";
    /** Docker's range for ports it chooses ({@code -P}), which berth chooses from too. */
    static final int FIRST_CHOSEN_PORT = 49153;
    static final int LAST_CHOSEN_PORT = 65535;

    private final ControlService service;
    private final DockerNames names;

    DockerPluginCalls(final ControlService service, final DockerNames names)
    {
        this.service = service;
        this.names = names;
    }

    /** The answer to one call; never throws for bad input (the error is in the answer). */
    ObjectNode call(final String path, final JsonNode request)
    {
        try
        {
            return dispatch(path, request);
        }
        catch (final BerthException | IOException | IllegalArgumentException ex)
        {
            LOG.log(System.Logger.Level.INFO, "docker " + path + " refused: " + ex.getMessage());
            return error(path, ex.getMessage());
        }
    }

    static ObjectNode error(final String path, final String message)
    {
        return object().put(path.startsWith(IPAM_DRIVER) ? "Error" : "Err", message);
    }

    private ObjectNode dispatch(final String path, final JsonNode request) throws IOException
    {
        final DockerController docker = service.docker();
        return switch (path)
        {
            case "/Plugin.Activate" ->
            {
                final ObjectNode answer = object();
                answer.putArray("Implements").add("NetworkDriver").add("IpamDriver");
                yield answer;
            }
            case "/NetworkDriver.GetCapabilities" -> object().put("Scope", "local").put("ConnectivityScope", "local");
            case "/IpamDriver.GetCapabilities" ->
                object().put("RequiresMACAddress", false).put("RequiresRequestReplay", false);
            case "/IpamDriver.GetDefaultAddressSpaces" ->
                object().put("LocalDefaultAddressSpace", "berth").put("GlobalDefaultAddressSpace", "berth-global");
            case "/IpamDriver.RequestPool" ->
            {
                final Event.DockerPool pool = docker.requestPool(text(request, "Pool"), text(request, "SubPool"),
                    strings(request.path("Options")), request.path("V6").asBoolean(false));
                final ObjectNode answer = object().put("PoolID", pool.poolId()).put("Pool", pool.subnet());
                answer.putObject("Data");
                yield answer;
            }
            case "/IpamDriver.ReleasePool" ->
            {
                docker.releasePool(text(request, "PoolID"));
                yield object();
            }
            case "/IpamDriver.RequestAddress" ->
            {
                final ObjectNode answer = object().put("Address", docker.requestAddress(text(request, "PoolID"),
                    text(request, "Address"), strings(request.path("Options"))));
                answer.putObject("Data");
                yield answer;
            }
            case "/IpamDriver.ReleaseAddress" ->
            {
                docker.releaseAddress(text(request, "PoolID"), text(request, "Address"));
                yield object();
            }
            case "/NetworkDriver.CreateNetwork" -> createNetwork(request);
            case "/NetworkDriver.DeleteNetwork" ->
            {
                docker.deleteNetwork(text(request, "NetworkID"));
                yield object();
            }
            case "/NetworkDriver.CreateEndpoint" ->
            {
                final JsonNode iface = request.path("Interface");
                if (!text(iface, "AddressIPv6").isEmpty())
                {
                    throw new BerthException("endpoint with IPv6 address " + text(iface, "AddressIPv6") + ": berth " +
                        "gives no IPv6 yet");
                }
                final String mac = docker.createEndpoint(text(request, "NetworkID"), text(request, "EndpointID"),
                    text(iface, "Address"), text(iface, "MacAddress"));
                final ObjectNode answer = object();
                final ObjectNode answered = answer.putObject("Interface");
                if (mac != null)
                {
                    answered.put("MacAddress", mac); // only what Docker did not give
                }
                yield answer;
            }
            case "/NetworkDriver.DeleteEndpoint" ->
            {
                docker.deleteEndpoint(text(request, "EndpointID"));
                yield object();
            }
            case "/NetworkDriver.EndpointOperInfo" ->
            {
                final ObjectNode answer = object();
                final ObjectNode value = answer.putObject("Value");
                final Container container = docker.containerOf(text(request, "EndpointID"));
                if (container != null)
                {
                    value.put("berth.container", container.name());
                    value.put("berth.device", container.endpoints().iterator().next().device());
                }
                yield answer;
            }
            case "/NetworkDriver.Join" ->
            {
                final DockerController.Joined joined = docker.join(text(request, "NetworkID"),
                    text(request, "EndpointID"), text(request, "SandboxKey"));
                names.learnSoon(text(request, "NetworkID"));
                final ObjectNode answer = object();
                answer.putObject("InterfaceName").put("SrcName", joined.device()).put("DstPrefix", "eth");
                if (!joined.internal())
                {
                    answer.put("Gateway", joined.gateway());
                }
                // berth's gateway is the way out: no docker_gwbridge, a kernel bridge, beside it
                answer.put("DisableGatewayService", true);
                yield answer;
            }
            case "/NetworkDriver.Leave" ->
            {
                docker.leave(text(request, "EndpointID"));
                yield object();
            }
            case "/NetworkDriver.ProgramExternalConnectivity" ->
            {
                docker.publish(text(request, "EndpointID"),
                    portSpecs(request.path("Options").path("com.docker.network.portmap")));
                yield object();
            }
            case "/NetworkDriver.RevokeExternalConnectivity" ->
            {
                docker.unpublish(text(request, "EndpointID"));
                yield object();
            }
            case "/NetworkDriver.DiscoverNew", "/NetworkDriver.DiscoverDelete" -> object();
            case "/NetworkDriver.AllocateNetwork", "/NetworkDriver.FreeNetwork" ->
                throw new BerthException("berth's Docker driver is local-scoped; " + path.substring(1) + " is swarm's");
            default -> throw new BerthException("berth's Docker plugin has no call " + path + " (it serves " +
                "Plugin.Activate, NetworkDriver.* and IpamDriver.*)");
        };
    }

    private ObjectNode createNetwork(final JsonNode request)
    {
        final JsonNode options = request.path("Options");
        final JsonNode ipv4 = request.path("IPv4Data");
        if (request.path("IPv6Data").size() > 0 || options.path("com.docker.network.enable_ipv6").asBoolean(false))
        {
            throw new BerthException("berth gives no IPv6 yet; create the network without --ipv6");
        }
        if (ipv4.size() != 1)
        {
            throw new BerthException("berth's Docker networks take one IPv4 subnet, not " + ipv4.size());
        }
        final Network network = service.docker().createNetwork(text(request, "NetworkID"),
            text(ipv4.get(0), "Pool"), text(ipv4.get(0), "Gateway"),
            strings(options.path("com.docker.network.generic")),
            options.path("com.docker.network.internal").asBoolean(false));
        LOG.log(System.Logger.Level.INFO, "docker network " + text(request, "NetworkID").substring(0,
            Math.min(12, text(request, "NetworkID").length())) + " is berth network " + network.name());
        return object();
    }

    /** Docker's port map as {@code berth run -p} specs; host port 0 ({@code -P}) gets a free port berth chooses. */
    private List<String> portSpecs(final JsonNode portmap) throws IOException
    {
        final List<String> specs = new ArrayList<>();
        final List<Integer> chosen = new ArrayList<>();
        for (final JsonNode binding : portmap)
        {
            final int proto = binding.path("Proto").asInt(-1);
            final String protocol = switch (proto)
            {
                case 6 -> "tcp";
                case 17 -> "udp";
                default -> throw new BerthException("port mapping protocol " + proto + ": berth publishes tcp (6) " +
                    "and udp (17)");
            };
            final String hostIp = text(binding, "HostIP");
            int hostPort = binding.path("HostPort").asInt(0);
            if (hostPort == 0)
            {
                hostPort = freeHostPort(protocol, chosen);
                chosen.add(hostPort);
            }
            final String address = hostIp.isEmpty() || hostIp.equals("0.0.0.0") ? "" : hostIp + ":";
            specs.add(address + hostPort + ":" + binding.path("Port").asInt() + "/" + protocol);
        }
        return specs;
    }

    /** The first port of Docker's range that no container publishes and nobody listens on at 127.0.0.1. */
    private int freeHostPort(final String protocol, final List<Integer> chosen) throws IOException
    {
        for (int port = FIRST_CHOSEN_PORT; port <= LAST_CHOSEN_PORT; port++)
        {
            final int candidate = port;
            final boolean published = service.state().containers().stream()
                .flatMap(c -> c.ports().stream())
                .anyMatch(p -> p.hostPort() == candidate && p.protocol().equals(protocol));
            if (!published && !chosen.contains(candidate) && bindable(candidate))
            {
                return candidate;
            }
        }
        throw new BerthException("no free host port in " + FIRST_CHOSEN_PORT + "-" + LAST_CHOSEN_PORT + " for -P");
    }

    private static boolean bindable(final int port)
    {
        try (ServerSocket probe = new ServerSocket())
        {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static String text(final JsonNode node, final String field)
    {
        final JsonNode value = node.path(field);
        return value.isTextual() ? value.asText() : "";
    }

    /** A JSON object of options as strings (Docker sends booleans and numbers in some). */
    private static Map<String, String> strings(final JsonNode options)
    {
        final Map<String, String> map = new LinkedHashMap<>();
        if (options.isObject())
        {
            options.fields().forEachRemaining(field -> map.put(field.getKey(),
                field.getValue().isValueNode() ? field.getValue().asText() : field.getValue().toString()));
        }
        return map;
    }

    private static ObjectNode object()
    {
        return Json.WIRE.createObjectNode();
    }
}
