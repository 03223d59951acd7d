package io.berth.vxlan;

import io.berth.dataplane.DropReason;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Whether a decapsulated frame may claim the source it claims, given the tunnel it came through: the store's
 * endpoints are the truth, so a store host's VTEP sends only as its own endpoints, and a listed peer never as a
 * store-known MAC or address. Implemented beside the tables that hold those endpoints (the switch's bridge
 * domains and port security). Worker thread; allocation-free.
 */
@FunctionalInterface
public interface InnerSourceCheck
{
    /** Trusts every inner source (an in-memory test of the wire alone). */
    InnerSourceCheck TRUST_ALL = (tunnelPort, buffer, frameOffset, frameEnd) -> null;

    /**
     * @param frameOffset where the inner Ethernet frame starts; the frame was checked as the parser checks.
     * @param frameEnd    where it ends.
     * @return null when the frame may pass, else why not (mac_spoof, arp_spoof, spoofed_source, and for IPv6
     * nd_spoof, ra_guard or ipv6_malformed).
     */
    DropReason check(int tunnelPort, UnsafeBuffer buffer, int frameOffset, int frameEnd);
}
