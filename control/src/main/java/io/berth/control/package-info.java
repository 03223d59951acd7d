/**
 * berth's control plane, and in this package its composition root: {@link io.berth.control.Berthd} (the per-host
 * daemon, which validates its options, builds the parts in order and closes them in reverse) and the classes that
 * help it start. Nothing else imports this package.
 *
 * <p>Sub-packages, from the leaves up: {@code error} and {@code event} (the refusal and the configuration
 * vocabulary), {@code ipam}, {@code model} (networks and endpoints as records), {@code journal} and {@code store}
 * (where events are kept), {@code dataplane} (the boundary to the packet path), {@code driver} (the SPI and the
 * drivers), {@code sandbox}, {@code service}, {@code dns}, {@code proxy}, {@code state} (the controllers), and the
 * front ends {@code api}, {@code cli}, {@code cni}.
 */
package io.berth.control;
