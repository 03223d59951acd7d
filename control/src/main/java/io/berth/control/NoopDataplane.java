package io.berth.control;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.EndpointSpec;
import io.berth.control.dataplane.SegmentSpec;

import java.util.LinkedHashMap;
import java.util.Map;

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
    public void attachUplink(final io.berth.control.dataplane.UplinkSpec uplink)
    {
    }

    @Override
    public int hostLinkAddress()
    {
        return 0xA9FE7B01; // 169.254.123.1
    }

    private final java.util.Set<java.util.List<Integer>> publishedPorts = new java.util.HashSet<>();

    @Override
    public boolean publish(final io.berth.control.dataplane.PublishSpec p)
    {
        return publishedPorts.add(java.util.List.of(p.hostIp(), p.protocol(), p.hostPort()));
    }

    @Override
    public void unpublish(final io.berth.control.dataplane.PublishSpec p)
    {
        publishedPorts.remove(java.util.List.of(p.hostIp(), p.protocol(), p.hostPort()));
    }

    @Override
    public java.util.List<Map<String, Object>> connections()
    {
        return java.util.List.of();
    }

    @Override
    public int flushConnections()
    {
        return 0;
    }
}
