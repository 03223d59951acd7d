package io.berth.control.service;

import io.berth.control.journal.Event;

import java.util.List;

/**
 * One endpoint as services see it.
 *
 * @param container    the container's name.
 * @param containerId  its id.
 * @param network      the network's name.
 * @param networkId    its id.
 * @param sandbox      the network namespace the endpoint lives in.
 * @param ifName       eth0, eth1, ...
 * @param ip           its address.
 * @param ports        the container's published ports when this endpoint is the address they lead to, else empty.
 * @param restore      true when berthd is restoring what it had, not a new join.
 */
public record EndpointEvent(String container, String containerId, String network, String networkId, String sandbox,
    String ifName, int ip, List<Event.PortMapping> ports, boolean restore)
{
}
