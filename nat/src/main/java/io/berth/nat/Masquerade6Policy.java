package io.berth.nat;

import io.berth.dataplane.PacketPool;

/**
 * Which new IPv6 connections leave as berthd's uplink address (NAT66, issue 27), and what that address is: the
 * wiring answers from the router's tables (a unique-local network leaving by the uplink, unless
 * {@code ipv6.masquerade=false}). Worker thread; must not allocate.
 */
public interface Masquerade6Policy
{
    /** The routed packet (egress set) opens a connection that is masqueraded. */
    boolean masquerades(PacketPool pool, int handle);

    long externalHi();

    long externalLo();
}
