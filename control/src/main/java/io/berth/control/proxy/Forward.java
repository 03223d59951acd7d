package io.berth.control.proxy;

import io.berth.control.ipam.Ipv4;

/**
 * One userland forward: connections (TCP) or datagrams (UDP) to {@code listenIp:listenPort} in berthd's own
 * network namespace are relayed to {@code targetIp:targetPort}. Immutable; usable as a key.
 *
 * @param protocol  "tcp" or "udp".
 * @param listenIp  the IPv4 address to listen on, unless {@code listenIpv6}: then [::1] (issue 27).
 * @param namespace the network namespace file TCP connections to the target are made from (the container's
 *                  own, so they go over its loopback as pasta's do, never through the dataplane), or null to
 *                  connect from berthd's namespace (through berth0 and the dataplane).
 */
public record Forward(String protocol, int listenIp, int listenPort, int targetIp, int targetPort, String namespace,
    boolean listenIpv6)
{
    public Forward(final String protocol, final int listenIp, final int listenPort, final int targetIp,
        final int targetPort, final String namespace)
    {
        this(protocol, listenIp, listenPort, targetIp, targetPort, namespace, false);
    }

    /** A forward that connects from berthd's own namespace. */
    public Forward(final String protocol, final int listenIp, final int listenPort, final int targetIp,
        final int targetPort)
    {
        this(protocol, listenIp, listenPort, targetIp, targetPort, null);
    }

    @Override
    public String toString()
    {
        return listen() + ":" + listenPort + "/" + protocol + " -> " + Ipv4.format(targetIp) + ":" + targetPort;
    }

    /** The listening address as text: "127.0.0.1", or "[::1]". */
    public String listen()
    {
        return listenIpv6 ? "[::1]" : Ipv4.format(listenIp);
    }
}
