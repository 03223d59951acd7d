package io.berth.nat;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.Tuples;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.Ipv6Header;

import java.util.function.IntPredicate;

/**
 * External ports (and ICMP echo identifiers) for masqueraded connections.
 * <p>
 * Uniqueness is per (external address, protocol, remote address, remote port), as in Linux: a port is free
 * when the reply tuple it would give (remote:rport -> external:port) is no connection's key. So the connection
 * table itself is the set of ports in use: no bitmap to keep in step, nothing to release when a connection
 * expires, and 64 K ports per remote endpoint rather than 64 K in all (which TIME_WAIT would exhaust at ~500
 * new connections a second).
 * <p>
 * The container's own source port is kept when free (so most connections are not renumbered at all);
 * otherwise ports are probed linearly from a pseudo-random point (hashed from the tuple and a counter), within the protocol's range,
 * at most {@code maxTries} times; failing that the connection is refused (the caller counts it).
 * UDP ports the host's VTEP takes tunnel traffic on are never given out ({@link #reserveUdp}): a container's
 * datagram must not leave from the VTEP address's tunnel port (a peer could take it for tunnel traffic).
 * IPv6 (NAT66) alike: the external address is then the uplink's IPv6 {@code Ipv6Tokens} token.
 * Defaults: TCP/UDP 1024-65535, ICMP identifiers 0-65535, 128 tries.
 * <p>
 * Worker thread only (it writes the table); allocation-free.
 */
public final class PortAllocator
{
    public static final int NO_PORT = -1;

    private final ConnectionTable table;
    private final int low;
    private final int high;
    private final int icmpLow;
    private final int icmpHigh;
    private final int maxTries;
    private int salt;
    private boolean lastKept;
    private IntPredicate reservedUdp = port -> false;

    public PortAllocator(final ConnectionTable table, final int low, final int high, final int icmpLow, final int icmpHigh, final int maxTries)
    {
        if (low < 1 || high > 65535 || low > high || icmpLow < 0 || icmpHigh > 65535 || icmpLow > icmpHigh || maxTries < 1)
        {
            throw new IllegalArgumentException("port ranges must lie in 1-65535 (ICMP ids 0-65535), low <= high, tries >= 1");
        }
        this.table = table;
        this.low = low;
        this.high = high;
        this.icmpLow = icmpLow;
        this.icmpHigh = icmpHigh;
        this.maxTries = maxTries;
    }

    public PortAllocator(final ConnectionTable table)
    {
        this(table, 1024, 65535, 0, 65535, 128);
    }

    /** UDP ports never to give out as external ports (the VTEP's tunnel ports). Set up, before the worker runs. */
    public PortAllocator reserveUdp(final IntPredicate reserved)
    {
        this.reservedUdp = reserved;
        return this;
    }

    /**
     * Points the reply tuple of {@code entry} at {@code externalAddress}:port with a port no other connection
     * to the same remote endpoint uses.
     *
     * @return the port (the ICMP identifier), or {@link #NO_PORT} when none was found.
     */
    public int allocate(final int entry, final int externalAddress)
    {
        final int replyRef = (entry << 1) | ConnectionTable.REPLY;
        final long reply1 = table.key1(replyRef);
        final long reply2 = table.key2(replyRef);
        final int protocol = Tuples.protocol(reply2);
        final int remotePort = Tuples.sourcePort(reply2);
        final int wanted = Tuples.sourcePort(table.key2(entry << 1));
        final long k1 = Tuples.key1(Tuples.source(reply1), externalAddress);
        final boolean icmp = protocol == Ipv4Flyweight.PROTO_ICMP || protocol == Ipv6Header.PROTO_ICMPV6;
        final long family = reply2 & Tuples.IPV6;
        final boolean udp = protocol == Ipv4Flyweight.PROTO_UDP;

        lastKept = true;
        final boolean wantedReserved = udp && reservedUdp.test(wanted);
        if (!wantedReserved && k1 == reply1 && Tuples.destinationPort(reply2) == wanted)
        {
            return wanted; // already so (the container has the external address)
        }
        if (!wantedReserved && table.reply(entry, k1, key2(icmp, protocol, remotePort, wanted) | family))
        {
            return wanted;
        }
        lastKept = false;
        final int lo = icmp ? icmpLow : low;
        final int size = (icmp ? icmpHigh : high) - lo + 1;
        final int tries = Math.min(maxTries, size);
        final int start = Math.floorMod(mix(k1, remotePort, wanted, salt++), size); // a fresh random point each time: no clusters
        for (int t = 0; t < tries; t++)
        {
            final int port = lo + (start + t) % size;
            if (port != wanted && !(udp && reservedUdp.test(port)) &&
                table.reply(entry, k1, key2(icmp, protocol, remotePort, port) | family))
            {
                return port;
            }
        }
        return NO_PORT;
    }

    /** Whether the last successful {@link #allocate} kept the container's port. */
    public boolean lastKept()
    {
        return lastKept;
    }

    private static long key2(final boolean icmp, final int protocol, final int remotePort, final int port)
    {
        return icmp ? Tuples.key2(protocol, port, port) : Tuples.key2(protocol, remotePort, port);
    }

    private static int mix(final long k1, final int remotePort, final int wanted, final int salt)
    {
        long h = (k1 ^ ((long)remotePort << 16) ^ wanted) * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ (h >>> 31) ^ ((long)salt << 20) ^ salt) * 0xBF58_476D_1CE4_E5B9L;
        return (int)(h >>> 33);
    }
}
