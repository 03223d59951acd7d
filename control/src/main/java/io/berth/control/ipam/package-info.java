/**
 * IPv4 address management as Docker does it: strict parsing of addresses and CIDRs, the pool of default subnets,
 * per-network address allocation (first free upward, skipping network, broadcast and gateway) and MACs derived from
 * addresses. Pure values and single-threaded allocators, owned by the control thread.
 */
package io.berth.control.ipam;
