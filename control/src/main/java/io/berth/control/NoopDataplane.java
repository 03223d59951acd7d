package io.berth.control;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.EndpointSpec;
import io.berth.control.dataplane.SegmentSpec;

import java.util.LinkedHashMap;
import java.util.Map;
import io.berth.control.dataplane.PublishSpec;
import io.berth.control.dataplane.UplinkSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A dataplane that switches nothing: {@code berthd --dataplane noop} drives the whole control plane (API, IPAM,
 * journal, namespaces, processes) without creating any device, for developing and debugging the control plane.
 * Called from the control thread.
 */
final class NoopDataplane implements Dataplane
{
    private final Map<Integer, EndpointSpec> ports = new LinkedHashMap<>();
    private int nextPort;

    @Override
    public void start()
    {
    }

    @Override
    public void addSegment(final SegmentSpec network)
    {
    }

    @Override
    public void removeSegment(final int networkId)
    {
    }

    @Override
    public int attachTap(final EndpointSpec endpoint, final boolean reattach)
    {
        ports.put(nextPort, endpoint);
        return nextPort++;
    }

    @Override
    public void detachPort(final int portId)
    {
        ports.remove(portId);
    }

    @Override
    public void removeLeftoverDevice(final String deviceName)
    {
    }

    @Override
    public void defaultRouteVia(final String sandbox, final String ifName, final int gatewayIp)
    {
    }

    @Override
    public Map<String, Object> counters()
    {
        final Map<String, Object> portCounters = new LinkedHashMap<>();
        ports.values().forEach(spec -> portCounters.put(spec.deviceName(), Map.of("rx", 0, "tx", 0, "errors", 0)));
        return Map.of("ports", portCounters, "drops", Map.of(), "networks", Map.of());
    }

    @Override
    public void close()
    {
    }

    @Override
    public void attachUplink(final UplinkSpec uplink)
    {
    }

    @Override
    public int hostLinkAddress()
    {
        return 0xA9FE7B01; // 169.254.123.1
    }

    private final Set<List<Integer>> publishedPorts = new HashSet<>();

    @Override
    public boolean publish(final PublishSpec p)
    {
        return publishedPorts.add(List.of(p.hostIp(), p.protocol(), p.hostPort()));
    }

    @Override
    public void unpublish(final PublishSpec p)
    {
        publishedPorts.remove(List.of(p.hostIp(), p.protocol(), p.hostPort()));
    }

    @Override
    public List<Map<String, Object>> connections()
    {
        return List.of();
    }

    @Override
    public int flushConnections()
    {
        return 0;
    }
}
