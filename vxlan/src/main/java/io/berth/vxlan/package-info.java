/**
 * VXLAN (RFC 7348) for overlay networks across hosts: a VTEP's encapsulation ({@link io.berth.vxlan.VxlanEncapsulation})
 * and decapsulation ({@link io.berth.vxlan.VxlanDecapsulation}) of Ethernet frames in UDP over the uplink.
 * Depends on the dataplane module only.
 */
package io.berth.vxlan;
