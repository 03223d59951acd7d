package io.berth.control.model;

import java.util.List;

/**
 * A container's interface on a network. Immutable.
 *
 * @param networkId the network's 64-hex id.
 * @param ifName    eth0, eth1, ... inside the sandbox.
 * @param ip        the address.
 * @param mac       02:42 followed by the address.
 * @param device    the TAP's name in berthd's namespace before it moved into the sandbox.
 * @param aliases   its extra DNS names on that network ({@code --network-alias}, {@code connect --alias}).
 */
public record Endpoint(String networkId, String ifName, int ip, long mac, String device, List<String> aliases)
{
    public Endpoint
    {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
    }
}
