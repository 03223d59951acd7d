package io.berth.dataplane;

/**
 * Ports by id, and flood lists (the ports of one bridge domain) by id. Owned and written by the worker thread;
 * the control plane changes it only through commands the worker runs.
 */
public final class PortTable
{
    public static final int MAX_PORTS = 4096;
    private static final int[] EMPTY = new int[0];

    private final Port[] ports = new Port[MAX_PORTS];
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
    }

    public void remove(final int id)
    {
        ports[id] = null;
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
