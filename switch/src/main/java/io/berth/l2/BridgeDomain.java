package io.berth.l2;

import java.util.Arrays;

/**
 * One network's L2 segment: its member ports, its gateway (owned by the dataplane) and whether containers may
 * talk to each other. Written by the worker thread only (through {@link L2Switch}).
 */
public final class BridgeDomain
{
    private final int id;
    private final int gatewayIp;
    private final long gatewayMac;
    private final boolean interContainer;
    private int[] members = new int[0];

    public BridgeDomain(final int id, final int gatewayIp, final long gatewayMac, final boolean interContainer)
    {
        this.id = id;
        this.gatewayIp = gatewayIp;
        this.gatewayMac = gatewayMac;
        this.interContainer = interContainer;
    }

    public int id()
    {
        return id;
    }

    public int gatewayIp()
    {
        return gatewayIp;
    }

    public long gatewayMac()
    {
        return gatewayMac;
    }

    /** icc: false means no frame passes between two ports of this domain; the gateway stays reachable. */
    public boolean interContainer()
    {
        return interContainer;
    }

    public int[] members()
    {
        return members;
    }

    void addMember(final int portId)
    {
        members = Arrays.copyOf(members, members.length + 1);
        members[members.length - 1] = portId;
    }

    void removeMember(final int portId)
    {
        members = Arrays.stream(members).filter(p -> p != portId).toArray();
    }
}
