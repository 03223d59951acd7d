/**
 * The control plane of berth: {@link io.berth.control.Berthd} (the per-host daemon and composition root that wires the
 * userspace dataplane), its API on a unix socket, IPAM, the configuration journal and the {@code berth} CLI.
 *
 * <p>Sub-packages: {@code ipam} (addresses, subnets, MACs), {@code state} (networks and containers, changed only by
 * journal events), {@code journal} (the events and their Chronicle Queue store), {@code sandbox} (network namespaces
 * and container processes), {@code api} (wire format, server, client), {@code cli} (the {@code berth} commands),
 * {@code dataplane} (the boundary to the packet path).
 */
package io.berth.control;
