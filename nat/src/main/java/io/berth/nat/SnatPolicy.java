package io.berth.nat;

import io.berth.dataplane.PacketPool;

/**
 * Decides, once per new connection, whether its source is masqueraded and to which address. Called by
 * {@link SnatNode} on the worker thread, after routing has set the packet's egress; must not allocate.
 */
@FunctionalInterface
public interface SnatPolicy
{
    int NO_SNAT = 0;

    /**
     * @param source      the packet's source address (the container's).
     * @param destination the packet's destination address, after any DNAT.
     * @return the external address to take, or {@link #NO_SNAT}.
     */
    int externalAddress(PacketPool pool, int handle, int source, int destination);

    /**
     * Docker's MASQUERADE: whatever leaves by the uplink port takes the uplink address, unless it already has it.
     * Internal networks and traffic inside a network never reach the uplink (routing's job), so are never
     * translated.
     */
    static SnatPolicy uplink(final int uplinkPortId, final int uplinkAddress)
    {
        return (pool, handle, source, destination) ->
            pool.egress(handle) == uplinkPortId && source != uplinkAddress ? uplinkAddress : NO_SNAT;
    }
}
