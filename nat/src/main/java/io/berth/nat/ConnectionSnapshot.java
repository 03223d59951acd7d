package io.berth.nat;

import io.berth.conntrack.ConnState;
import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.Tuples;
import io.berth.dataplane.flyweight.Ipv4Flyweight;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tracked connection as copied off the worker by {@link NatCommands#connections()}; immutable, any thread.
 * {@link #toMap()} is the one place a connection is formatted (API, {@code berth conntrack ls}).
 */
public record ConnectionSnapshot(int protocol, int state, long timeoutSeconds, int flags, Tuple original, Tuple reply)
{
    /** Addresses as ints, ports as ints. */
    public record Tuple(int source, int destination, int sourcePort, int destinationPort)
    {
        Map<String, Object> toMap()
        {
            final Map<String, Object> t = new LinkedHashMap<>();
            t.put("src", Ipv4Flyweight.format(source));
            t.put("dst", Ipv4Flyweight.format(destination));
            t.put("sport", sourcePort);
            t.put("dport", destinationPort);
            return t;
        }
    }

    /** "protocol", "state", "timeout" (s), "original", "reply" ({src, dst, sport, dport}), "flags" (strings). */
    public Map<String, Object> toMap()
    {
        final Map<String, Object> c = new LinkedHashMap<>();
        c.put("protocol", Tuples.protocolName(protocol));
        c.put("state", ConnState.name(state));
        c.put("timeout", timeoutSeconds);
        c.put("original", original.toMap());
        c.put("reply", reply.toMap());
        c.put("flags", ConnectionFlags.shown(flags));
        return c;
    }
}
