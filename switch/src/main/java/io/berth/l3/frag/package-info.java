/**
 * IPv4 fragments: reassembly before conntrack and NAT (bounded per source and in all, each refusal with its drop
 * reason), and fragmentation for the egress MTU. Worker thread.
 */
package io.berth.l3.frag;
