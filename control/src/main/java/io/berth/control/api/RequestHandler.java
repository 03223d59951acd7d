package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.flowlog.FlowLog;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.model.PortSpec;
import io.berth.control.sandbox.Sandboxes;
import io.berth.control.state.Container;
import io.berth.control.state.ControlService;
import io.berth.control.state.NetworkRequest;
import io.berth.control.wire.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * Executes one API request and returns its result. Every call runs on the control thread (the server hands each
 * request to it), so the service and state see one request at a time.
 */
public final class RequestHandler
{
    private final ControlService service;
    private final Views views;
    private final ObjectNode daemonInfo;
    private final Sandboxes sandboxes;

    /** @param daemonInfo what {@code ping} answers: Pid, Socket, StateDir. */
    public RequestHandler(final ControlService service, final Sandboxes sandboxes, final ObjectNode daemonInfo)
    {
        this.sandboxes = sandboxes;
        this.service = service;
        this.views = new Views(service);
        this.daemonInfo = daemonInfo;
    }

    /** The {@code result} of a request; throws {@link BerthException} for a refused one. */
    public JsonNode handle(final JsonNode request)
    {
        final String op = text(request, "op");
        if (op == null)
        {
            throw new BerthException("request without \"op\"");
        }
        sandboxes.caller(request.path("clientPid").asLong(0));
        try
        {
            return dispatch(op, request);
        }
        finally
        {
            sandboxes.caller(0);
        }
    }

    private JsonNode dispatch(final String op, final JsonNode request)
    {
        return switch (op)
        {
            case "ping" -> daemonInfo;
            case "network.create" -> networkCreate(request);
            case "network.ls" -> networkLs();
            case "network.inspect" -> networkInspect(request);
            case "network.rm" -> networkRm(request);
            case "network.connect" -> networkConnect(request);
            case "network.disconnect" -> networkDisconnect(request);
            case "container.run" -> containerRun(request);
            case "container.ls" -> containerLs();
            case "container.inspect" -> containerInspect(request);
            case "container.logs" -> containerLogs(request);
            case "container.rm" -> containerRm(request);
            case "container.netns" -> containerNetns(request);
            case "container.port" -> containerPort(request);
            case "conntrack.ls" -> Json.WIRE.valueToTree(service.observe().connections());
            case "conntrack.flush" -> Json.WIRE.createObjectNode().put("Flushed", service.observe().flushConnections());
            case "counters" -> counters();
            case "node.ls" -> Json.WIRE.valueToTree(service.observe().nodes());
            default -> throw new BerthException("unknown op \"" + op + "\"");
        };
    }

    private JsonNode networkCreate(final JsonNode request)
    {
        final Network network = service.networks().createNetwork(new NetworkRequest(required(request, "name"),
            text(request, "driver"), text(request, "subnet"), text(request, "ipRange"), text(request, "gateway"),
            request.path("internal").asBoolean(false), strings(request, "options"), strings(request, "moreSubnets"),
            strings(request, "moreGateways"), request.path("ipv6").asBoolean(false), text(request, "subnet6"),
            text(request, "gateway6"), request.path("ipv4").asBoolean(true)));
        return idAndName(network.id(), network.name());
    }

    private JsonNode networkLs()
    {
        final ArrayNode rows = Json.WIRE.createArrayNode();
        service.state().networks().forEach(network -> rows.add(views.networkRow(network)));
        return rows;
    }

    private JsonNode networkInspect(final JsonNode request)
    {
        final ArrayNode result = Json.WIRE.createArrayNode();
        for (final String name : names(request))
        {
            result.add(views.networkInspect(service.state().network(name)));
        }
        return result;
    }

    private JsonNode networkRm(final JsonNode request)
    {
        final String name = required(request, "name");
        final Network network = service.state().network(name);
        service.networks().removeNetwork(name);
        return idAndName(network.id(), network.name());
    }

    private JsonNode networkConnect(final JsonNode request)
    {
        final Endpoint endpoint = service.containers().connect(required(request, "network"), required(request, "container"),
            service.networks().pinnedIp(request.path("network").asText(), text(request, "ip"), text(request, "ip6")),
            strings(request, "aliases"));
        final ObjectNode result = Json.WIRE.createObjectNode();
        result.put("Interface", endpoint.ifName());
        result.put("IPAddress", Ipv4.format(endpoint.ip()));
        result.put("MacAddress", Ipv4.formatMac(endpoint.mac()));
        return result;
    }

    private JsonNode networkDisconnect(final JsonNode request)
    {
        service.containers().disconnect(required(request, "network"), required(request, "container"));
        return Json.WIRE.createObjectNode();
    }

    private JsonNode containerRun(final JsonNode request)
    {
        final Container container = service.containers().run(required(request, "name"), text(request, "network"),
            service.networks().pinnedIp(text(request, "network"), text(request, "ip"), text(request, "ip6")),
            strings(request, "cmd"), strings(request, "publish"), strings(request, "aliases"),
            new Event.DnsSettings(strings(request, "links"), strings(request, "dns"),
                strings(request, "dnsSearch"), strings(request, "dnsOptions"), text(request, "hostname")));
        return idAndName(container.id(), container.name());
    }

    private JsonNode containerPort(final JsonNode request)
    {
        final Container container = service.state().container(required(request, "name"));
        final ArrayNode rows = Json.WIRE.createArrayNode();
        for (final Event.PortMapping mapping : container.ports())
        {
            final ObjectNode row = rows.addObject();
            row.put("ContainerPort", mapping.containerPort());
            row.put("Protocol", mapping.protocol());
            row.put("HostIp", PortSpec.shownHostIp(mapping));
            row.put("HostPort", mapping.hostPort());
        }
        return rows;
    }

    private JsonNode containerLs()
    {
        final ArrayNode rows = Json.WIRE.createArrayNode();
        service.state().containers().forEach(container -> rows.add(views.containerRow(container)));
        return rows;
    }

    private JsonNode containerInspect(final JsonNode request)
    {
        final ArrayNode result = Json.WIRE.createArrayNode();
        for (final String name : names(request))
        {
            result.add(views.containerInspect(service.state().container(name)));
        }
        return result;
    }

    private JsonNode containerLogs(final JsonNode request)
    {
        final ObjectNode result = Json.WIRE.createObjectNode();
        result.put("Log", service.containers().logs(required(request, "name")));
        return result;
    }

    private JsonNode containerRm(final JsonNode request)
    {
        final Container container = service.state().container(required(request, "name"));
        service.containers().remove(container.id(), request.path("force").asBoolean(false));
        return idAndName(container.id(), container.name());
    }

    private JsonNode containerNetns(final JsonNode request)
    {
        final Container container = service.state().container(required(request, "name"));
        if (container.docker() != null)
        {
            throw new BerthException("container " + container.name() + " is Docker's (endpoint " +
                shortId(container.docker().endpointId()) + " in " + container.docker().sandboxKey() + "); use " +
                "docker exec");
        }
        final ObjectNode result = Json.WIRE.createObjectNode();
        final String namespace = service.namespaceOf(container);
        if (namespace == null)
        {
            result.putNull("Namespace");
        }
        else
        {
            result.put("Namespace", namespace);
        }
        result.put("BerthdPid", ProcessHandle.current().pid());
        return result;
    }

    /** The streaming ops ({@code capture}) for the API server. */
    public static ApiServer.Streamer captureStream(final ControlService service,
        final ExecutorService controlThread)
    {
        return new CaptureStream(service, controlThread);
    }

    /** The {@code exposure} op. */
    public static ApiServer.Streamer exposureStream(final ControlService service,
        final ExecutorService controlThread)
    {
        return new ExposureStream(service, controlThread);
    }

    /** The {@code trace} op. */
    public static ApiServer.Streamer traceStream(final ControlService service,
        final ExecutorService controlThread)
    {
        return new TraceStream(service, controlThread);
    }

    /** The {@code flows} op over {@code log} (null: berthd has no --flow-log). */
    public static ApiServer.Streamer flowStream(final FlowLog log)
    {
        return new FlowStream(log);
    }

    /** What {@code berth counters -o json} prints (the metrics exporter reads the same). Control thread. */
    public JsonNode countersView()
    {
        return counters();
    }

    private JsonNode counters()
    {
        final ObjectNode result = Json.WIRE.valueToTree(service.observe().counters());
        final ObjectNode endpoints = result.putObject("endpoints");
        for (final Container container : service.state().containers())
        {
            for (final Endpoint endpoint : container.endpoints())
            {
                final ObjectNode entry = Json.WIRE.createObjectNode();
                entry.put("container", container.name());
                entry.put("interface", endpoint.ifName());
                entry.put("network", service.state().networkName(endpoint.networkId()));
                // the dataplane may name a port by its TAP or by sandbox/interface: answer to both
                endpoints.set(endpoint.device(), entry);
                endpoints.set(container.sandbox() + "/" + endpoint.ifName(), entry);
            }
        }
        return result;
    }

    private static ObjectNode idAndName(final String id, final String name)
    {
        final ObjectNode result = Json.WIRE.createObjectNode();
        result.put("Id", id);
        result.put("Name", name);
        return result;
    }

    private static List<String> names(final JsonNode request)
    {
        final List<String> names = strings(request, "names");
        if (names.isEmpty())
        {
            throw new BerthException("give at least one name");
        }
        return names;
    }

    private static String required(final JsonNode request, final String field)
    {
        final String value = text(request, field);
        if (value == null || value.isEmpty())
        {
            throw new BerthException("request " + text(request, "op") + " needs \"" + field + "\"");
        }
        return value;
    }

    private static String text(final JsonNode request, final String field)
    {
        final JsonNode value = request.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static List<String> strings(final JsonNode request, final String field)
    {
        final List<String> values = new ArrayList<>();
        final JsonNode array = request.get(field);
        if (array != null && array.isArray())
        {
            array.forEach(item -> values.add(item.asText()));
        }
        return values;
    }

    private static String shortId(final String id)
    {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
