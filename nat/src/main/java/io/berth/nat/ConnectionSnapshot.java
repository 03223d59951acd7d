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
    /**
     * IPv4 addresses as ints, ports as ints; an IPv6 tuple's addresses as text in {@code source6} and
     * {@code destination6} (null for IPv4), its ints then meaningless outside the worker.
     */
    public record Tuple(int source, int destination, int sourcePort, int destinationPort, String source6,
        String destination6)
    {
        public Tuple(final int source, final int destination, final int sourcePort, final int destinationPort)
        {
            this(source, destination, sourcePort, destinationPort, null, null);
        }

        /** Not named isIpv6: the saved tables are JSON, and a getter-like name would be written as a field. */
        public boolean carriesIpv6()
        {
            return source6 != null;
        }

        Map<String, Object> toMap()
        {
            final Map<String, Object> t = new LinkedHashMap<>();
            t.put("src", source6 != null ? source6 : Ipv4Flyweight.format(source));
            t.put("dst", destination6 != null ? destination6 : Ipv4Flyweight.format(destination));
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
