/**
 * The router every network's gateway stands for: routes between the bridge networks' subnets, the host link
 * ({@code berth0}) and the uplink, resolves next hops by ARP, decrements TTL and answers with ICMP errors. Beside
 * the L2 switch in this module because both forward frames by tables the worker owns; connection tracking and
 * NAT sit between the stages here (module {@code nat}), wired by the control plane. Worker thread only.
 */
package io.berth.l3;
