package io.berth.control.proxy;

import io.berth.control.ipam.Ipv4;

/**
 * One userland forward: connections (TCP) or datagrams (UDP) to {@code listenIp:listenPort} in berthd's own
 * network namespace are relayed to {@code targetIp:targetPort}. Immutable; usable as a key.
 *
 * @param protocol  "tcp" or "udp".
 * @param namespace the network namespace file TCP connections to the target are made from (the container's
 *                  own, so they go over its loopback as pasta's do, never through the dataplane), or null to
 *                  connect from berthd's namespace (through berth0 and the dataplane).
 */
public record Forward(String protocol, int listenIp, int listenPort, int targetIp, int targetPort, String namespace)
{
    /** A forward that connects from berthd's own namespace. */
    public Forward(final String protocol, final int listenIp, final int listenPort, final int targetIp,
        final int targetPort)
    {
        this(protocol, listenIp, listenPort, targetIp, targetPort, null);
    }

    @Override
    public String toString()
    {
        return Ipv4.format(listenIp) + ":" + listenPort + "/" + protocol + " -> " + Ipv4.format(targetIp) + ":" +
            targetPort;
    }
}
