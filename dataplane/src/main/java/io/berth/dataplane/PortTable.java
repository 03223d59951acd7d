package io.berth.dataplane;

/**
 * Ports by id, and flood lists (the ports of one bridge domain) by id. Owned and written by the worker thread;
 * the control plane changes it only through commands the worker runs.
 */
public final class PortTable
{
    public static final int MAX_PORTS = 4096;
    private static final int[] EMPTY = new int[0];

    /** The IPv4 MTU a port takes when nobody set one: Ethernet's. */
    public static final int DEFAULT_MTU = 1500;

    private final Port[] ports = new Port[MAX_PORTS];
    private final int[] mtus = new int[MAX_PORTS];
    /** {@link Port#defersTransmits()} of each port, read once when it is put: the packet path reads an array. */
    private final boolean[] defersTransmits = new boolean[MAX_PORTS];
    private int[][] floodLists = new int[16][];

    public Port get(final int id)
    {
        return id >= 0 && id < MAX_PORTS ? ports[id] : null;
    }

    public void put(final Port port)
    {
        if (port.id() < 0 || port.id() >= MAX_PORTS)
        {
            throw new IllegalArgumentException("port id " + port.id() + " outside 0.." + (MAX_PORTS - 1));
        }
        ports[port.id()] = port;
        defersTransmits[port.id()] = port.defersTransmits();
    }

    public void remove(final int id)
    {
        ports[id] = null;
        mtus[id] = 0;
        defersTransmits[id] = false;
    }

    /** Whether the port's transmits wait for {@link Port#flushTransmits()} at the end of a pass. */
    public boolean defersTransmits(final int id)
    {
        return defersTransmits[id];
    }

    /** The largest IPv4 packet (header included) the port's far side takes: routing fragments to it or says so. */
    public int mtu(final int id)
    {
        final int mtu = id >= 0 && id < MAX_PORTS ? mtus[id] : 0;
        return mtu == 0 ? DEFAULT_MTU : mtu;
    }

    /** Setup path (a worker command): the device's MTU, 68..65535. */
    public void mtu(final int id, final int mtu)
    {
        if (mtu < 68 || mtu > 65535)
        {
            throw new IllegalArgumentException("MTU " + mtu + " of port " + id + " outside 68..65535");
        }
        mtus[id] = mtu;
    }

    /** Replaces a flood list with a new array (setup path; the packet path only reads). */
    public void floodList(final int listId, final int[] portIds)
    {
        if (listId >= floodLists.length)
        {
            final int[][] grown = new int[Math.max(listId + 1, floodLists.length * 2)][];
            System.arraycopy(floodLists, 0, grown, 0, floodLists.length);
            floodLists = grown;
        }
        floodLists[listId] = portIds.clone();
    }

    public int[] floodList(final int listId)
    {
        final int[] list = listId >= 0 && listId < floodLists.length ? floodLists[listId] : null;
        return list == null ? EMPTY : list;
    }
}
