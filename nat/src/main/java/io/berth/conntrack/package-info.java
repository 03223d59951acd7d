/**
 * Connection tracking for the userspace dataplane: one {@link io.berth.conntrack.ConnectionTable} entry per
 * connection, found from either direction by a 5-tuple packed into two {@code long}s; per-protocol trackers
 * (TCP state machine, UDP, ICMP echo, ICMP errors as RELATED); expiry on an intrusive timer wheel in bounded
 * slices; and {@link io.berth.conntrack.ConntrackNode}, the stage that classifies every IPv4 packet.
 * Everything here is owned by one worker thread (single writer, no locks, no allocation on the packet path).
 */
package io.berth.conntrack;
