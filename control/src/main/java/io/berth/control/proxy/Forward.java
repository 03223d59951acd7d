package io.berth.control.proxy;

import io.berth.control.ipam.Ipv4;

/**
 * One userland forward: connections (TCP) or datagrams (UDP) to {@code listenIp:listenPort} in berthd's own
 * network namespace are relayed to {@code targetIp:targetPort}. Immutable; usable as a key.
 *
 * @param protocol "tcp" or "udp".
 */
public record Forward(String protocol, int listenIp, int listenPort, int targetIp, int targetPort)
{
    @Override
    public String toString()
    {
        return Ipv4.format(listenIp) + ":" + listenPort + "/" + protocol + " -> " + Ipv4.format(targetIp) + ":" +
            targetPort;
    }
}
