package io.berth.tap;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortCounters;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

class EpollPollerTest
{
    @Test
    void wakeupUnblocksAPollFromAnotherThread() throws Exception
    {
        try (EpollPoller poller = new EpollPoller())
        {
            final CompletableFuture<Long> took = CompletableFuture.supplyAsync(() ->
            {
                final long start = System.nanoTime();
                poller.poll(30_000, p -> { });
                return System.nanoTime() - start;
            });
            Thread.sleep(200);
            poller.wakeup();
            final long nanos = took.get(10, TimeUnit.SECONDS);
            assertTrue(nanos >= TimeUnit.MILLISECONDS.toNanos(150), "poll blocked until the wakeup: " + nanos);
        }
    }

    @Test
    void wakeupBeforePollMakesTheNextPollReturnOnceOnly()
    {
        try (EpollPoller poller = new EpollPoller())
        {
            poller.wakeup();
            poller.wakeup();
            long start = System.nanoTime();
            assertEquals(0, poller.poll(10_000, p -> { }));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
            start = System.nanoTime();
            poller.poll(100, p -> { });
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(80), "the eventfd was drained");
        }
    }

    @Test
    void portsWithoutAnFdAreReportedEveryPollAndNeverBlock()
    {
        final Port fdless = new NoFdPort();
        try (EpollPoller poller = new EpollPoller())
        {
            poller.register(fdless);
            final List<Port> seen = new ArrayList<>();
            final long start = System.nanoTime();
            assertEquals(1, poller.poll(10_000, seen::add));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
            assertSame(fdless, seen.get(0));
            poller.unregister(fdless);
            assertEquals(0, poller.poll(0, seen::add));
        }
    }

    @Test
    void reportsAReadableFdPortUntilDrained() throws Exception
    {
        // an eventfd is readable like a TAP with a frame waiting; TapKernelTest covers a real TAP
        final int efd = Natives.eventfd(Natives.EFD_NONBLOCK | Natives.EFD_CLOEXEC);
        final TapPort port = new TapPort(1, "efd", efd);
        try (EpollPoller poller = new EpollPoller(); EpollPoller writer = new EpollPoller())
        {
            poller.register(port);
            final List<Port> seen = new ArrayList<>();
            assertEquals(0, poller.poll(0, seen::add));
            final UnsafeBuffer one =
                new UnsafeBuffer(BufferUtil.allocateDirectAligned(8, 8));
            one.putLong(0, 5);
            Natives.write(efd, one.addressOffset(), 8);
            assertEquals(1, poller.poll(1000, seen::add));
            assertEquals(1, poller.poll(0, seen::add), "level-triggered: still readable");
            assertSame(port, seen.get(0));
            port.receive(new PacketPool(2), new PacketBatch(), 4); // drains the counter (as a runt)
            assertEquals(0, poller.poll(0, seen::add));
            poller.unregister(port);
        }
        finally
        {
            port.close();
        }
    }

    @Test
    void anInMemoryPortIsReadWhilePollingAndInTheEpollSetOnlyWhileBlocking() throws Exception
    {
        // an eventfd stands for the AF_XDP socket (readable = the kernel's view), the flag for its RX ring
        final int efd = Natives.eventfd(Natives.EFD_NONBLOCK | Natives.EFD_CLOEXEC);
        final InMemoryPort port = new InMemoryPort(efd);
        final UnsafeBuffer one = new UnsafeBuffer(BufferUtil.allocateDirectAligned(8, 8));
        one.putLong(0, 1);
        try (EpollPoller poller = new EpollPoller())
        {
            poller.register(port);
            final List<Port> seen = new ArrayList<>();
            Natives.write(efd, one.addressOffset(), 8);
            assertEquals(0, poller.poll(0, seen::add), "polling reads the ring, not epoll: the fd is not in the set");
            port.waiting = true;
            assertEquals(1, poller.poll(0, seen::add));
            assertSame(port, seen.get(0));

            // a frame between the ring read and the block: adding the readable fd reports it at once
            port.waiting = false;
            long start = System.nanoTime();
            assertEquals(1, poller.poll(10_000, seen::add));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "did not wait out the timeout");
            // epoll's report is traffic: the port left the set, polling reads the ring again
            assertEquals(0, poller.poll(0, seen::add), "out of the epoll set again although the fd is readable");

            // a block with nothing waiting: the kernel's readiness wakes it
            Natives.read(efd, one.addressOffset(), 8);
            one.putLong(0, 1);
            final CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> poller.poll(30_000, p -> { }));
            Thread.sleep(200);
            assertTrue(!blocked.isDone(), "blocked while nothing waits");
            Natives.write(efd, one.addressOffset(), 8);
            assertEquals(1, blocked.get(10, TimeUnit.SECONDS));

            // unregistered while in the set: a readable fd no longer ends a block
            Natives.read(efd, one.addressOffset(), 8);
            one.putLong(0, 1);
            poller.wakeup();
            assertEquals(0, poller.poll(10_000, p -> { })); // the wake-up; the block before it armed the port
            poller.poll(100, p -> { });
            poller.unregister(port);
            Natives.write(efd, one.addressOffset(), 8);
            start = System.nanoTime();
            assertEquals(0, poller.poll(100, seen::add));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(80), "nothing woke the block");
        }
        finally
        {
            Natives.close(efd);
        }
    }

    /** A port whose readiness is a flag in memory, with an fd for epoll while the worker blocks. */
    private static final class InMemoryPort extends QuietPort
    {
        private final int fd;
        volatile boolean waiting;

        InMemoryPort(final int fd)
        {
            this.fd = fd;
        }

        @Override
        public int pollFd()
        {
            return fd;
        }

        @Override
        public boolean pollsInMemory()
        {
            return true;
        }

        @Override
        public boolean framesWaiting()
        {
            return waiting;
        }
    }

    /** A port polled every cycle: no fd. */
    private static final class NoFdPort extends QuietPort
    {
    }

    /** Receives and sends nothing: what a poller sees of a port is its fd and its readiness. */
    private static class QuietPort implements Port
    {
        private final PortCounters counters = new PortCounters();

        public int id()
        {
            return 0;
        }

        public String name()
        {
            return getClass().getSimpleName();
        }

        public int receive(final PacketPool pool, final PacketBatch into, final int limit)
        {
            return 0;
        }

        public boolean transmit(final PacketPool pool, final int handle)
        {
            return false;
        }

        public boolean offloads()
        {
            return false;
        }

        public int pollFd()
        {
            return -1;
        }

        public PortCounters counters()
        {
            return counters;
        }

        public void close()
        {
        }
    }
}
