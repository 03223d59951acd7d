/**
 * Address translation on top of {@link io.berth.conntrack}: masquerade of traffic leaving by the uplink
 * ({@link io.berth.nat.SnatNode}, ports from {@link io.berth.nat.PortAllocator}) and published ports
 * ({@link io.berth.nat.DnatNode}, O(1) lookups in {@link io.berth.nat.PublishedPorts}). As in Linux, a
 * translation is decided once per connection, recorded by changing the connection's reply tuple, and every later
 * packet is rewritten to look like the inverse of the other direction's tuple; checksums are updated
 * incrementally (RFC 1624), including partial checksums left by TAP offloads and the headers quoted in ICMP
 * errors. Worker thread only.
 */
package io.berth.nat;
