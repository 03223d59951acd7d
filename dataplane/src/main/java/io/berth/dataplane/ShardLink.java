package io.berth.dataplane;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.List;

/**
 * The four SPSC rings between the owner worker (the graph, its tables and the packet pool) and one port worker
 * (a shard of the ports, their reads and writes), and how each wakes the other. A slot always has exactly one
 * holder; it changes holder only through a ring:
 * <pre>
 *                      spare  (empty slots lent for reading)  ------>
 *   owner worker       egress (packets to write on a shard port) --->      port worker
 *   (pool, graph,  <-- received (frames read from a shard port)
 *    tables)       <-- returned (slots given back: more than it keeps)
 * </pre>
 * Each ring is sized for the whole pool, so an offer never fails while the slots are accounted for. A side
 * about to block announces it ({@link #ownerParking}, {@link #portWorkerParking}) and then looks at its rings
 * once more; a side that offered fences and wakes the other only if it announced, so a wake-up is one eventfd
 * write per batch, and none while both are busy.
 */
public final class ShardLink
{
    public final HandleRing spare;
    public final HandleRing egress;
    public final HandleRing received;
    public final HandleRing returned;
    /**
     * The port worker's share of the pool: the owner lends it empty slots up to this, and it keeps at most this
     * many from its writes. Idle, it holds twice this at most (kept slots, and lent ones still in the spare ring).
     */
    public final int share;
    private final AtomicBoolean ownerParked;
    private final Runnable wakeOwner;
    private final AtomicBoolean portWorkerParked = new AtomicBoolean();
    private volatile Runnable wakePortWorker = () ->
    {
    };
    /** Owner thread only: slots the port worker holds (kept for reading, in a ring either way, being written). */
    int lent;
    /** Owner thread only: something went on egress since the owner last signalled. */
    boolean egressPending;

    /**
     * @param share       slots the owner lends the port worker at most, and the most it keeps between reads
     * @param ownerParked the owner's one flag, shared by all its links: it blocks in one poller for all of them
     * @param wakeOwner   wakes the owner's poller; any thread
     */
    public ShardLink(final int poolCapacity, final int share, final AtomicBoolean ownerParked, final Runnable wakeOwner)
    {
        this.share = share;
        final int capacity = Integer.highestOneBit(Math.max(2, poolCapacity - 1)) << 1;
        spare = new HandleRing(capacity);
        egress = new HandleRing(capacity);
        received = new HandleRing(capacity);
        returned = new HandleRing(capacity);
        this.ownerParked = ownerParked;
        this.wakeOwner = wakeOwner;
    }

    /** Set once, before traffic: how the owner wakes the port worker's poller. */
    void wakePortWorkerBy(final Runnable wake)
    {
        wakePortWorker = wake;
    }

    /** Owner thread: a packet went on the egress ring, and the port worker holds its slot now. */
    void handedOver()
    {
        lent++;
        egressPending = true;
    }

    /** Port worker, after it offered on received or returned: wakes the owner if it blocks or is about to. */
    public void signalOwner()
    {
        VarHandle.fullFence(); // the tail's release store must not pass the flag's load
        if (ownerParked.get())
        {
            wakeOwner.run();
        }
    }

    /** Owner, after it offered on spare or egress: wakes the port worker if it blocks or is about to. */
    public void signalPortWorker()
    {
        VarHandle.fullFence();
        if (portWorkerParked.get())
        {
            wakePortWorker.run();
        }
    }

    /** Owner, once its flag is set: true when this link has something for it, so it must not block. */
    boolean ownerHasWork()
    {
        return !received.isEmpty() || !returned.isEmpty();
    }

    /** Port worker, before it blocks: announces it; true when it must not block after all (work arrived). */
    boolean portWorkerParking()
    {
        portWorkerParked.set(true);
        if (!egress.isEmpty() || !spare.isEmpty())
        {
            portWorkerParked.set(false);
            return false;
        }
        return true;
    }

    void portWorkerAwake()
    {
        portWorkerParked.set(false);
    }

    /**
     * Owner, before it blocks: sets its flag (shared by all its links) and looks at every link once more; true
     * when it may block, false (flag cleared) when a port worker handed something over meanwhile.
     */
    static boolean ownerParking(final AtomicBoolean flag, final List<ShardLink> links)
    {
        flag.set(true);
        for (int i = 0, n = links.size(); i < n; i++)
        {
            if (links.get(i).ownerHasWork())
            {
                flag.set(false);
                return false;
            }
        }
        return true;
    }
}
