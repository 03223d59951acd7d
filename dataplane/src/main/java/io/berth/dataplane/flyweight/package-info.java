/**
 * Flyweights over packet bytes (Ethernet, ARP, IPv4, ICMP, TCP, UDP, VXLAN, the virtio-net header) and checksums:
 * no copies, no allocation.
 */
package io.berth.dataplane.flyweight;
