package io.berth.nat;

import io.berth.conntrack.ConnState;
import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.Ipv6Tokens;
import io.berth.conntrack.Tuples;
import io.berth.dataplane.WorkerCommands;
import io.berth.dataplane.flyweight.Ipv6Header;

import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntPredicate;

/**
 * Typed proxy for conntrack and the published ports: every change and listing runs on the worker that owns the
 * tables; listings come back as {@link ConnectionSnapshot}s made there. Any thread.
 */
public final class NatCommands
{
    private final ConnectionTable connections;
    private final PublishedPorts published;
    private final WorkerCommands worker;
    private final NatBindings bindings;
    private Ipv6Tokens tokens;
    private PublishedPorts6 published6;

    public NatCommands(final ConnectionTable connections, final PublishedPorts published, final WorkerCommands worker)
    {
        this(connections, published, worker, new NatBindings(0));
    }

    public NatCommands(final ConnectionTable connections, final PublishedPorts published, final WorkerCommands worker,
        final NatBindings bindings)
    {
        this.connections = connections;
        this.published = published;
        this.worker = worker;
        this.bindings = bindings;
    }

    /** Starts mirroring NAT bindings into a file from {@link NatBindings#map} (every translated connection now). */
    public CompletableFuture<Void> mirrorBindings(final MappedByteBuffer file)
    {
        return worker.run(() ->
        {
            bindings.attach(file);
            connections.forEach(entry -> bindings.bindIfTranslated(connections, entry));
        });
    }

    /** False when that host address, protocol and port is published already (nothing changes). */
    public CompletableFuture<Boolean> publish(final int hostIp, final int protocol, final int hostPort,
        final int containerIp, final int containerPort)
    {
        return worker.call(() -> published.publish(hostIp, protocol, hostPort, containerIp, containerPort));
    }

    public CompletableFuture<Void> unpublish(final int hostIp, final int protocol, final int hostPort)
    {
        return worker.run(() -> published.unpublish(hostIp, protocol, hostPort));
    }

    /** Every tracked connection, copied on the worker. */
    public CompletableFuture<List<ConnectionSnapshot>> connections()
    {
        return worker.call(() -> copy(entry -> true));
    }

    /**
     * Puts saved connections back (after a restart): each with its original and reply tuple (so its NAT
     * translation), state, flags and the time it had left. A connection whose tuples are taken, or beyond the
     * table's limit, is skipped. Completes with how many were restored.
     */
    public CompletableFuture<Integer> restore(final List<ConnectionSnapshot> saved)
    {
        return worker.call(() ->
        {
            final long now = System.currentTimeMillis();
            int restored = 0;
            for (final ConnectionSnapshot c : saved)
            {
                final boolean ipv6 = c.original().carriesIpv6();
                if (ipv6 && tokens == null)
                {
                    continue;
                }
                // an IPv6 connection's addresses get their tokens again (held only while a key names them)
                final int[] held = ipv6 ? new int[] {token(c.original().source6()), token(c.original().destination6()),
                    token(c.reply().source6()), token(c.reply().destination6())} : null;
                if (restore(c, held, now))
                {
                    restored++;
                }
                for (int i = 0; held != null && i < held.length; i++)
                {
                    tokens.dropIfUnused(held[i]);
                }
            }
            return restored;
        });
    }

    /** Worker thread: one saved connection back; {@code held}, for IPv6, its four addresses' tokens. */
    private boolean restore(final ConnectionSnapshot c, final int[] held, final long now)
    {
        for (int i = 0; held != null && i < held.length; i++)
        {
            if (held[i] == Ipv6Tokens.NO_TOKEN)
            {
                return false;
            }
        }
        final long k1 = held != null ? Tuples.key1(held[0], held[1])
            : Tuples.key1(c.original().source(), c.original().destination());
        final long k2 = held != null ? Tuples.key2v6(c.protocol(), c.original().sourcePort(), c.original().destinationPort())
            : Tuples.key2(c.protocol(), c.original().sourcePort(), c.original().destinationPort());
        if (connections.lookup(k1, k2) != ConnectionTable.NOT_FOUND)
        {
            return false; // already back (its next packet came first)
        }
        final int entry = connections.create(k1, k2, c.state(), c.flags(), now + Math.max(1, c.timeoutSeconds()) * 1000,
            now);
        if (entry < 0)
        {
            return false;
        }
        final long r1 = held != null ? Tuples.key1(held[2], held[3]) : Tuples.key1(c.reply().source(), c.reply().destination());
        final long r2 = held != null ? Tuples.key2v6(c.protocol(), c.reply().sourcePort(), c.reply().destinationPort())
            : Tuples.key2(c.protocol(), c.reply().sourcePort(), c.reply().destinationPort());
        if ((r1 != Tuples.invert1(k1) || r2 != Tuples.invert2(k2)) && !connections.reply(entry, r1, r2))
        {
            connections.remove(entry);
            return false;
        }
        if (held == null)
        {
            bindings.bindIfTranslated(connections, entry); // the SIGKILL mirror holds IPv4 bindings
        }
        return true;
    }

    /** Worker thread: the token of a saved IPv6 address, or {@link Ipv6Tokens#NO_TOKEN}. */
    private int token(final String address)
    {
        try
        {
            final long[] parsed = Ipv6Header.parse(address);
            return tokens.intern(parsed[0], parsed[1]);
        }
        catch (final IllegalArgumentException e)
        {
            return Ipv6Tokens.NO_TOKEN; // a damaged file: that connection is not restored
        }
    }

    /**
     * The connections worth keeping across a restart, copied on the worker: established TCP and assured UDP (a
     * handshake or a closing connection is cheaper to redo than to save every second).
     */
    public CompletableFuture<List<ConnectionSnapshot>> lastingConnections()
    {
        return worker.call(() -> copy(entry ->
        {
            final int protocol = connections.protocol(entry);
            return (protocol == 6 && connections.state(entry) == ConnState.ESTABLISHED)
                || (protocol == 17 && connections.hasFlags(entry, ConnectionFlags.F_ASSURED));
        }));
    }

    /** Worker thread: snapshots of the connections {@code which} accepts. */
    private List<ConnectionSnapshot> copy(final IntPredicate which)
    {
        final List<ConnectionSnapshot> result = new ArrayList<>();
        final long now = System.currentTimeMillis();
        connections.forEach(entry ->
        {
            if (which.test(entry))
            {
                result.add(snapshot(entry, now));
            }
        });
        return result;
    }

    /** Forgets every tracked connection; completes with how many there were. */
    public CompletableFuture<Integer> flush()
    {
        return worker.call(() ->
        {
            final int count = connections.size();
            connections.clear();
            return count;
        });
    }

    private ConnectionSnapshot snapshot(final int entry, final long now)
    {
        final long o1 = connections.key1(entry << 1);
        final long o2 = connections.key2(entry << 1);
        final long r1 = connections.key1((entry << 1) | 1);
        final long r2 = connections.key2((entry << 1) | 1);
        return new ConnectionSnapshot(connections.protocol(entry), connections.state(entry),
            Math.max(0, (connections.expiry(entry) - now) / 1000), connections.flags(entry), tuple(o1, o2), tuple(r1, r2));
    }

    private ConnectionSnapshot.Tuple tuple(final long k1, final long k2)
    {
        final boolean ipv6 = Tuples.isIpv6(k2) && tokens != null;
        return new ConnectionSnapshot.Tuple(Tuples.source(k1), Tuples.destination(k1), Tuples.sourcePort(k2),
            Tuples.destinationPort(k2), ipv6 ? Tuples.address(tokens, Tuples.source(k1)) : null,
            ipv6 ? Tuples.address(tokens, Tuples.destination(k1)) : null);
    }

    /** Setup time: IPv6 tuples' addresses are these tokens, its published ports these (issue 27). */
    public NatCommands ipv6(final Ipv6Tokens ipv6Tokens, final PublishedPorts6 ipv6Published)
    {
        this.tokens = ipv6Tokens;
        this.published6 = ipv6Published;
        return this;
    }

    /** berthd's uplink IPv6 address: the one ports are published on over IPv6. */
    public CompletableFuture<Void> uplink6(final long hi, final long lo)
    {
        return worker.run(() -> published6.address(hi, lo));
    }

    /** False when (protocol, host port) is published over IPv6 already (nothing changes). */
    public CompletableFuture<Boolean> publish6(final int protocol, final int hostPort, final long containerHi,
        final long containerLo, final int containerPort)
    {
        return worker.call(() -> published6.publish(protocol, hostPort, containerHi, containerLo, containerPort));
    }

    public CompletableFuture<Boolean> unpublish6(final int protocol, final int hostPort)
    {
        return worker.call(() -> published6.unpublish(protocol, hostPort));
    }
}
