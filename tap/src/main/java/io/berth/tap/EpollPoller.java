package io.berth.tap;

import io.berth.dataplane.Poller;
import io.berth.dataplane.Port;
import org.agrona.BufferUtil;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Poller} over epoll: level-triggered EPOLLIN on each port's {@link Port#pollFd()}, plus an eventfd that
 * {@link #wakeup()} writes to. Ports without an fd ({@code pollFd() == -1}) are reported on every poll, and while
 * any are registered a poll never blocks.
 * <p>
 * Owned by the worker thread (register, unregister, poll, close); {@link #wakeup()} is for any thread. Level
 * triggering is deliberate: the worker reads a bounded burst per port, so a port left with frames must be
 * reported again next cycle without us tracking it. epoll's data field carries the fd; an agrona
 * {@link Int2ObjectHashMap} maps it back to the port without boxing, so a poll allocates nothing.
 * <p>
 * Ports that tell from memory whether frames wait ({@link Port#pollsInMemory()}, AF_XDP sockets) are read, not
 * polled, while the worker spins, and are in the epoll set only from a block that found them idle until epoll
 * reports traffic on one ("armed"): a socket in an epoll set makes the kernel call epoll's wake-up for every frame
 * it sends. Adding a ready fd to the set reports it at once, so no frame that arrives between the read and the
 * block is missed.
 */
public final class EpollPoller implements Poller
{
    public static final int DEFAULT_MAX_EVENTS = 64;
    private static final long WAKE_VALUE = 1L;

    private final int epfd;
    private final int eventFd;
    private final int maxEvents;
    private final UnsafeBuffer events;      // struct epoll_event[maxEvents], worker only
    private final UnsafeBuffer ctlEvent;    // one struct epoll_event for epoll_ctl, worker only
    private final UnsafeBuffer drain;       // eventfd counter read target, worker only
    private final UnsafeBuffer wakeValue;   // constant 1: written once here, read by concurrent wakeup() calls
    private final Int2ObjectHashMap<Port> byFd = new Int2ObjectHashMap<>();
    private final List<Port> fdless = new ArrayList<>();
    /** {@link Port#pollsInMemory()} ports; in {@link #byFd} always, in the epoll set while {@link #armed}. */
    private final List<Port> inMemory = new ArrayList<>();
    private boolean armed;
    private boolean closed;

    public EpollPoller()
    {
        this(DEFAULT_MAX_EVENTS);
    }

    public EpollPoller(final int maxEvents)
    {
        this.maxEvents = maxEvents;
        this.events = new UnsafeBuffer(BufferUtil.allocateDirectAligned(align(maxEvents * Natives.EPOLL_EVENT_SIZE), 64));
        this.ctlEvent = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
        this.drain = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
        this.wakeValue = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
        wakeValue.putLong(0, WAKE_VALUE);
        int ep = -1;
        int ev = -1;
        try
        {
            ep = Natives.epollCreate();
            ev = Natives.eventfd(Natives.EFD_NONBLOCK | Natives.EFD_CLOEXEC);
            add(ep, ev);
        }
        catch (final IOException e)
        {
            Natives.close(ev);
            Natives.close(ep);
            throw new UncheckedIOException(e);
        }
        this.epfd = ep;
        this.eventFd = ev;
    }

    private static int align(final int n)
    {
        return (n + 63) & ~63;
    }

    private void add(final int ep, final int fd) throws IOException
    {
        Natives.epollCtl(ep, Natives.EPOLL_CTL_ADD, fd, readable(fd));
    }

    /** {@link #ctlEvent} set to EPOLLIN on {@code fd}, its address. */
    private long readable(final int fd)
    {
        ctlEvent.putInt(0, Natives.EPOLLIN);
        ctlEvent.putLong(Natives.EPOLL_EVENT_DATA_OFFSET, fd);
        return ctlEvent.addressOffset();
    }

    /** @throws UncheckedIOException when epoll refuses the fd (closed, already registered). */
    @Override
    public void register(final Port port)
    {
        final int fd = port.pollFd();
        if (fd < 0)
        {
            fdless.add(port);
            return;
        }
        if (byFd.containsKey(fd))
        {
            throw new IllegalStateException("fd " + fd + " already registered for " + byFd.get(fd).name());
        }
        if (port.pollsInMemory())
        {
            inMemory.add(port);
            byFd.put(fd, port);
            if (armed)
            {
                arm(port);
            }
            return;
        }
        try
        {
            add(epfd, fd);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("registering port " + port.name(), e);
        }
        byFd.put(fd, port);
    }

    @Override
    public void unregister(final Port port)
    {
        final int fd = port.pollFd();
        if (fd < 0)
        {
            fdless.remove(port);
            return;
        }
        if (byFd.get(fd) != port)
        {
            return;
        }
        byFd.remove(fd);
        if (inMemory.remove(port) && !armed)
        {
            return;
        }
        // ignore failure: the fd may already be closed, which removed it from the epoll set anyway
        Natives.libc().epoll_ctl(epfd, Natives.EPOLL_CTL_DEL, fd, ctlEvent.addressOffset());
    }

    /** Puts an in-memory port's fd in the epoll set, so that its frames can end a block. */
    private void arm(final Port port)
    {
        // cannot fail for an open fd not in the set; a port is closed only after it was unregistered
        Natives.libc().epoll_ctl(epfd, Natives.EPOLL_CTL_ADD, port.pollFd(), readable(port.pollFd()));
    }

    private void disarm()
    {
        for (int i = 0; i < inMemory.size(); i++)
        {
            Natives.libc().epoll_ctl(epfd, Natives.EPOLL_CTL_DEL, inMemory.get(i).pollFd(), ctlEvent.addressOffset());
        }
        armed = false;
    }

    @Override
    public int poll(final int timeoutMs, final ReadyHandler handler)
    {
        int reported = 0;
        for (int i = 0; i < fdless.size(); i++)
        {
            handler.onReady(fdless.get(i));
            reported++;
        }
        if (!armed)
        {
            for (int i = 0; i < inMemory.size(); i++)
            {
                final Port port = inMemory.get(i);
                if (port.framesWaiting())
                {
                    handler.onReady(port);
                    reported++;
                }
            }
            if (reported == 0 && timeoutMs > 0 && !inMemory.isEmpty())
            {
                for (int i = 0; i < inMemory.size(); i++)
                {
                    arm(inMemory.get(i));
                }
                armed = true;
            }
        }
        final int n = Natives.epollWait(epfd, events.addressOffset(), maxEvents, reported > 0 ? 0 : timeoutMs);
        // n < 0: EINTR (a signal); report nothing, the worker just polls again
        boolean inMemoryTraffic = false;
        for (int i = 0; i < n; i++)
        {
            final int fd = (int)events.getLong(i * Natives.EPOLL_EVENT_SIZE + Natives.EPOLL_EVENT_DATA_OFFSET);
            if (fd == eventFd)
            {
                Natives.read(eventFd, drain.addressOffset(), Long.BYTES); // reset the counter: level-triggered
                continue;
            }
            final Port port = byFd.get(fd);
            if (port != null) // null: unregistered earlier in this cycle
            {
                handler.onReady(port);
                reported++;
                inMemoryTraffic |= port.pollsInMemory();
            }
        }
        if (inMemoryTraffic)
        {
            disarm(); // traffic: the worker polls on, reading the rings
        }
        return reported;
    }

    /** Any thread: bumps the eventfd counter, which makes the current or the next poll return. */
    @Override
    public void wakeup()
    {
        Natives.write(eventFd, wakeValue.addressOffset(), Long.BYTES); // EAGAIN only at counter overflow: still awake
    }

    /** Closes epoll and the eventfd; the ports stay open (their owner closes them). */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            byFd.clear();
            fdless.clear();
            inMemory.clear();
            Natives.close(eventFd);
            Natives.close(epfd);
        }
    }
}
