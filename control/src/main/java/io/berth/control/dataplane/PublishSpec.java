package io.berth.control.dataplane;

/**
 * One published port as the dataplane translates it: traffic to {@code hostIp:hostPort} goes to
 * {@code containerIp:containerPort}. Loopback-only publications never reach the dataplane (the userland proxy
 * serves them).
 *
 * @param protocol      6 (TCP) or 17 (UDP).
 * @param hostIp        the host address it is published on: the uplink address, or another one berthd owns.
 * @param hostPort      1-65535.
 * @param containerIp   the container's address.
 * @param containerPort 1-65535.
 */
public record PublishSpec(int protocol, int hostIp, int hostPort, int containerIp, int containerPort)
{
}
