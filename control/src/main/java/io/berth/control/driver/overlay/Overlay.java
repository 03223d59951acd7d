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
    /** An encrypted network's: the WireGuard peers its tunnels send through. Null for a clear one. */
    private final EncryptionPeers encryption;
    int localEndpoints;

    Overlay(final int segment, final OverlayOptions options, final EncryptionPeers encryption)
    {
        this.segment = segment;
        this.options = options;
        this.encryption = options.encrypted() ? encryption : null;
    }

    /**
     * The tunnel port to {@code vtep}, made on first use; every user (an endpoint, the peer list) counts. An
     * encrypted network's tunnel needs the VTEP's WireGuard key and port ({@code wgKey} null for a clear one).
     */
    int holdTunnel(final Dataplane dataplane, final int vtep, final String wgKey, final int wgPort)
    {
        Integer port = tunnelPorts.get(vtep);
        if (port == null)
        {
            if (encryption != null)
            {
                encryption.hold(dataplane, vtep, wgKey, wgPort);
            }
            try
            {
                port = dataplane.addTunnel(segment, options.vni(), vtep, options.mtu(), encryption != null);
            }
            catch (final RuntimeException e)
            {
                if (encryption != null)
                {
                    encryption.release(dataplane, vtep);
                }
                throw e;
            }
            tunnelPorts.put(vtep, port);
        }
        else if (encryption != null)
        {
            encryption.refresh(dataplane, vtep, wgKey, wgPort);
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
            if (encryption != null)
            {
                encryption.release(dataplane, vtep);
            }
        }
    }

    /** Every tunnel port, when the network goes. */
    void removeTunnels(final Dataplane dataplane)
    {
        tunnelPorts.forEach((vtep, port) ->
        {
            dataplane.removeTunnel(port);
            if (encryption != null)
            {
                encryption.release(dataplane, vtep);
            }
        });
        tunnelPorts.clear();
        tunnelUsers.clear();
    }
}
