package io.berth.control.driver.overlay;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;

import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The WireGuard peers encrypted overlays need here: one per remote VTEP that an encrypted network has a tunnel to,
 * whichever networks (a session is between two hosts, not per network), counted by tunnel and removed with the
 * last. A peer's key comes from the store (the host's endpoint records carry it) or from
 * {@code encrypted.peers}; a changed key replaces the peer. Control thread.
 */
final class EncryptionPeers
{
    private static final System.Logger LOG = System.getLogger(EncryptionPeers.class.getName());

    private record Held(String key, int port, int tunnels)
    {
    }

    private final Map<Integer, Held> byVtep = new HashMap<>();

    /** One more tunnel to {@code vtep}: its peer is made, or updated when its key or port changed. */
    void hold(final Dataplane dataplane, final int vtep, final String key, final int port)
    {
        final Held held = put(dataplane, vtep, key, port);
        byVtep.put(vtep, new Held(key, port, held == null ? 1 : held.tunnels() + 1));
    }

    /** A tunnel that exists already was announced again: its peer follows a changed key or port. */
    void refresh(final Dataplane dataplane, final int vtep, final String key, final int port)
    {
        final Held held = put(dataplane, vtep, key, port);
        byVtep.put(vtep, new Held(key, port, held == null ? 1 : held.tunnels()));
    }

    void release(final Dataplane dataplane, final int vtep)
    {
        final Held held = byVtep.get(vtep);
        if (held == null)
        {
            return;
        }
        if (held.tunnels() > 1)
        {
            byVtep.put(vtep, new Held(held.key(), held.port(), held.tunnels() - 1));
            return;
        }
        byVtep.remove(vtep);
        dataplane.removeWireGuardPeer(vtep);
    }

    private Held put(final Dataplane dataplane, final int vtep, final String key, final int port)
    {
        if (key == null || key.isEmpty())
        {
            throw new BerthException("the host at " + Ipv4.format(vtep) + " published no WireGuard key (a berthd " +
                "without encrypted overlays?): an encrypted network cannot reach it");
        }
        final Held held = byVtep.get(vtep);
        if (held == null || !held.key().equals(key) || held.port() != port)
        {
            if (held != null && !held.key().equals(key))
            {
                LOG.log(System.Logger.Level.INFO, "the host at " + Ipv4.format(vtep) + " has a new WireGuard key");
            }
            dataplane.putWireGuardPeer(vtep, Base64.getDecoder().decode(key), vtep, port);
        }
        return held;
    }
}
