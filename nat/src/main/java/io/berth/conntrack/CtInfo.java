package io.berth.conntrack;
import java.util.Arrays;

/**
 * What conntrack decided about each packet in flight, indexed by packet handle: the connection entry, the
 * direction the packet travels in it, and its class (NEW, ESTABLISHED, RELATED, UNTRACKED). Written by
 * {@link ConntrackNode}, read by the NAT stages after it. A side array because {@code PacketPool} has no slot
 * for per-packet user metadata (yet). Owned by the worker thread that owns the pool.
 * <pre>
 *  31                        4  3   2     0
 * +---------------------------+---+-------+
 * |          entry            |dir| class |   or -1: untracked
 * +---------------------------+---+-------+
 * </pre>
 */
public final class CtInfo
{
    public static final int UNTRACKED = 0;
    /** The first packets of a connection: original direction, nothing seen in reply yet. */
    public static final int NEW = 1;
    public static final int ESTABLISHED = 2;
    /** An ICMP error about a tracked connection (the entry and direction are that connection's). */
    public static final int RELATED = 3;

    private static final int NO_INFO = -1;

    private final int[] info;
    /** The entry's generation when the packet was classified: tells a later stage the entry was not reused. */
    private final int[] generation;

    public CtInfo(final int poolCapacity)
    {
        info = new int[poolCapacity];
        generation = new int[poolCapacity];
        Arrays.fill(info, NO_INFO);
    }

    public void set(final int handle, final int entry, final int direction, final int ctClass)
    {
        set(handle, entry, direction, ctClass, 0);
    }

    /** @param entryGeneration {@link ConnectionTable#generation(int)} of the entry at classification. */
    public void set(final int handle, final int entry, final int direction, final int ctClass, final int entryGeneration)
    {
        info[handle] = (entry << 4) | (direction << 3) | ctClass;
        generation[handle] = entryGeneration;
    }

    public int generation(final int handle)
    {
        return generation[handle];
    }

    public void untracked(final int handle)
    {
        info[handle] = NO_INFO;
    }

    public boolean isTracked(final int handle)
    {
        return info[handle] != NO_INFO;
    }

    /** NEW, ESTABLISHED, RELATED or UNTRACKED. */
    public int ctClass(final int handle)
    {
        final int v = info[handle];
        return v == NO_INFO ? UNTRACKED : v & 7;
    }

    public int entry(final int handle)
    {
        return info[handle] >>> 4;
    }

    /** {@link ConnectionTable#ORIGINAL} or {@link ConnectionTable#REPLY}. */
    public int direction(final int handle)
    {
        return (info[handle] >>> 3) & 1;
    }
}
