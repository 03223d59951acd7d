package io.berth.dataplane;

/**
 * A place frames enter and leave the dataplane: a TAP device, an AF_PACKET socket, an in-memory queue.
 * <p>
 * Called only from the worker thread that owns the port. Implementations allocate nothing per packet and
 * never throw on the packet path: failures are counted in {@link #counters()}.
 */
public interface Port
{
    /** Dense id assigned by the dataplane, used as the index in port tables and as {@link PacketPool#egress}. */
    int id();

    String name();

    /**
     * Reads up to {@code limit} frames into packets allocated from {@code pool}, sets their in-port, frame
     * length and virtio-net header (zeroed when the port has none) and appends the handles to {@code into}.
     *
     * @return how many packets were added; 0 when nothing was waiting or the pool is dry.
     */
    int receive(PacketPool pool, PacketBatch into, int limit);

    /** {@link #receiveOne}: a frame is in the packet. */
    int RECEIVED = 1;
    /** {@link #receiveOne}: nothing was waiting. */
    int NOTHING = 0;
    /** {@link #receiveOne}: a frame was taken and refused (counted); the packet is unused, the next may be good. */
    int SKIPPED = 2;
    /** {@link #receiveOne}: the port failed (counted); stop reading it this cycle. */
    int STOPPED = -1;
    /** {@link #receiveOne}: this port reads only through {@link #receive}. */
    int UNSUPPORTED = -2;

    /**
     * Reads one frame into {@code handle}, a packet someone else allocated (a port worker reads into slots the
     * pool's owner lent it, see {@link PortWorker}), and sets its in-port and frame length as {@link #receive}
     * does. The packet stays the caller's whatever the outcome.
     *
     * @return {@link #RECEIVED}, {@link #NOTHING}, {@link #SKIPPED}, {@link #STOPPED} or {@link #UNSUPPORTED}
     */
    default int receiveOne(final PacketPool pool, final int handle)
    {
        return UNSUPPORTED;
    }

    /**
     * Takes the packet over instead of writing it now: another worker writes it and gives the slot back
     * ({@link RemotePort}). The caller then neither releases nor touches the packet again. False when this port
     * does not, or cannot just now; the caller then calls {@link #transmit}.
     */
    default boolean handOff(final PacketPool pool, final int handle)
    {
        return false;
    }

    /**
     * Sends the packet's frame (with its virtio-net header where the port takes one). Never releases the packet:
     * the caller may send the same packet to several ports.
     *
     * @return true when the frame was handed to the device; false when it was dropped (counted).
     */
    boolean transmit(PacketPool pool, int handle);

    /**
     * True when {@link #transmitGathered} works. A port that gathers takes a frame in pieces (an array of struct
     * iovec), so a caller that assembles one from several places need not copy them together first.
     */
    default boolean gathers()
    {
        return false;
    }

    /**
     * Sends one [virtio-net header | frame] given as {@code count} struct iovec (8-byte address, 8-byte length)
     * at native address {@code iovecs}, which together make {@code frameLength} bytes of frame after the header.
     * Only where {@link #gathers()}; same outcome and counting as {@link #transmit}.
     */
    default boolean transmitGathered(final long iovecs, final int count, final int frameLength)
    {
        counters().increment(PortCounters.TX_ERRORS);
        return false;
    }

    /**
     * Queues the packet's write on {@code writes} instead of making it now (the same bytes {@link #transmit}
     * would write); the outcome is counted when the batch is flushed. False when this port does not batch, or the
     * batch is full: the caller then flushes or calls {@link #transmit}.
     */
    default boolean transmitLater(final PacketPool pool, final int handle, final WriteBatch writes, final int tag)
    {
        return false;
    }

    /**
     * True when {@link #transmit} only queues and the frames leave at {@link #flushTransmits()}: a port that wakes
     * its device once per pass rather than once per frame (an AF_XDP socket's TX ring). Whoever transmits to such
     * a port calls {@link #flushTransmits()} at the end of its pass.
     */
    default boolean defersTransmits()
    {
        return false;
    }

    /** Sends what {@link #transmit} queued (see {@link #defersTransmits()}); a no-op for other ports. */
    default void flushTransmits()
    {
    }

    /** True when the port accepts and produces virtio-net headers with partial checksums and GSO frames. */
    boolean offloads();

    /** The file descriptor to watch for readability, or -1 for ports the worker polls every cycle. */
    int pollFd();

    /**
     * True when {@link #framesWaiting()} tells from memory whether frames wait (a ring the kernel fills), so a
     * worker that is polling need not ask epoll, and the port's fd is in the epoll set only while the worker
     * blocks: a socket in an epoll set pays a wake-up call for every frame it sends and every batch it receives
     * (an AF_XDP socket: ~100 ns a frame on the sending thread).
     */
    default boolean pollsInMemory()
    {
        return false;
    }

    /** With {@link #pollsInMemory()}: whether frames wait to be received. The owning worker thread. */
    default boolean framesWaiting()
    {
        return false;
    }

    PortCounters counters();

    /** Releases the port's resources. Called from the control path after the worker has dropped the port. */
    void close();
}
