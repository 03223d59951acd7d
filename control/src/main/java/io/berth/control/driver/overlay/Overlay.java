package io.berth.control.driver.overlay;

import io.berth.control.dataplane.Dataplane;

import java.util.HashMap;
import java.util.Map;

/**
 * One overlay network on this host: its segment, and a tunnel port per remote VTEP with a count of what holds it
 * open (each remote endpoint behind it, each listed peer): the port is made at the first user and removed after
 * the last. Control thread.
 */
final class Overlay
{
    final int segment;
    final OverlayOptions options;
    final Map<Integer, Integer> tunnelPorts = new HashMap<>();
    final Map<Integer, Integer> tunnelUsers = new HashMap<>();
    int localEndpoints;

    Overlay(final int segment, final OverlayOptions options)
    {
        this.segment = segment;
        this.options = options;
    }

    /** The tunnel port to {@code vtep}, made on first use; every user (an endpoint, the peer list) counts. */
    int holdTunnel(final Dataplane dataplane, final int vtep)
    {
        Integer port = tunnelPorts.get(vtep);
        if (port == null)
        {
            port = dataplane.addTunnel(segment, options.vni(), vtep, options.mtu());
            tunnelPorts.put(vtep, port);
        }
        tunnelUsers.merge(vtep, 1, Integer::sum);
        return port;
    }

    void releaseTunnel(final Dataplane dataplane, final int vtep)
    {
        final Integer users = tunnelUsers.get(vtep);
        if (users == null)
        {
            return;
        }
        if (users > 1)
        {
            tunnelUsers.put(vtep, users - 1);
            return;
        }
        tunnelUsers.remove(vtep);
        final Integer port = tunnelPorts.remove(vtep);
        if (port != null)
        {
            dataplane.removeTunnel(port);
        }
    }

    /** Every tunnel port, when the network goes. */
    void removeTunnels(final Dataplane dataplane)
    {
        for (final int port : tunnelPorts.values())
        {
            dataplane.removeTunnel(port);
        }
        tunnelPorts.clear();
        tunnelUsers.clear();
    }
}
