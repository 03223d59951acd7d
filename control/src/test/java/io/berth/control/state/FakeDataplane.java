package io.berth.control.state;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.EndpointSpec;
import io.berth.control.dataplane.SegmentSpec;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.berth.control.dataplane.PublishSpec;
import io.berth.control.dataplane.UplinkSpec;
import io.berth.control.ipam.Ipv4;
import java.util.TreeMap;

/** Records what the control plane asks of the dataplane; can be told to fail the next attach. */
final class FakeDataplane implements Dataplane
{
    final Map<Integer, SegmentSpec> networks = new LinkedHashMap<>();
    final Map<Integer, EndpointSpec> ports = new LinkedHashMap<>();
    final List<String> calls = new ArrayList<>();
    boolean failNextAttach;
    boolean failNextAddNetwork;
    private int nextPort = 100;

    @Override
    public void start()
    {
    }

    @Override
    public void addSegment(final SegmentSpec network)
    {
        if (failNextAddNetwork)
        {
            failNextAddNetwork = false;
            throw new IllegalStateException("injected addNetwork failure");
        }
        calls.add("addNetwork " + network.name());
        networks.put(network.id(), network);
    }

    @Override
    public void removeSegment(final int networkId)
    {
        calls.add("removeNetwork " + networkId);
        networks.remove(networkId);
    }

    @Override
    public int attachTap(final EndpointSpec endpoint, final boolean reattach) throws IOException
    {
        if (failNextAttach)
        {
            failNextAttach = false;
            throw new IOException("injected attach failure");
        }
        calls.add((reattach ? "reattach " : "attach ") + endpoint.sandbox() + " " + endpoint.ifName());
        ports.put(nextPort, endpoint);
        return nextPort++;
    }

    @Override
    public void detachPort(final int portId)
    {
        calls.add("detach " + portId);
        ports.remove(portId);
    }

    @Override
    public void removeLeftoverDevice(final String deviceName)
    {
        calls.add("remove leftover " + deviceName);
    }

    @Override
    public void defaultRouteVia(final String sandbox, final String ifName, final int gatewayIp)
    {
        calls.add("default route " + sandbox + " " + ifName + " via " + Ipv4.format(gatewayIp));
    }

    @Override
    public Map<String, Object> counters()
    {
        return Map.of();
    }

    @Override
    public void close()
    {
    }

    @Override
    public void attachUplink(final UplinkSpec uplink)
    {
        this.uplink = uplink;
    }

    @Override
    public int hostLinkAddress()
    {
        return 0xA9FE7B01; // 169.254.123.1
    }

    /** Published DNAT entries by "proto hostIp:hostPort" -> "containerIp:containerPort". */
    final Map<String, String> published = new TreeMap<>();
    UplinkSpec uplink;

    private static String key(final PublishSpec p)
    {
        return p.protocol() + " " + Ipv4.format(p.hostIp()) + ":" + p.hostPort();
    }

    @Override
    public boolean publish(final PublishSpec p)
    {
        calls.add("publish " + key(p));
        return published.putIfAbsent(key(p), Ipv4.format(p.containerIp()) + ":" +
            p.containerPort()) == null;
    }

    @Override
    public void unpublish(final PublishSpec p)
    {
        calls.add("unpublish " + key(p));
        published.remove(key(p));
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
