package io.berth.nat;

import io.berth.dataplane.PacketPool;

/**
 * Which new IPv6 connections are masqueraded (NAT66, issue 27), and to what address: the wiring answers from the
 * router's tables. A unique-local network's connection leaving by the uplink leaves as the uplink's address
 * (unless {@code ipv6.masquerade=false}); a published connection a container made to the uplink's address
 * (hairpin) leaves as the target network's gateway address, so the reply comes back through berth to be
 * translated instead of going straight to the client on the same segment. Worker thread; must not allocate.
 */
@FunctionalInterface
public interface Masquerade6Policy
{
    /**
     * @param published the connection was translated to a published port.
     * @param address   where the external address goes ({hi, lo}) when the answer is true.
     * @return whether the routed packet (egress set), the first of its connection, is masqueraded.
     */
    boolean masquerade(PacketPool pool, int handle, boolean published, long[] address);
}
