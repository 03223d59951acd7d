package io.berth.dataplane;

import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.Node;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.berth.dataplane.graph.TestGraphs;

class DataplaneWorkerTest
{
    private final PacketPool pool = new PacketPool(512);
    private final Graph graph;
    private final List<Integer> batches = new ArrayList<>();
    private final PortTable ports = new PortTable();
    private final DataplaneWorker worker;

    DataplaneWorkerTest()
    {
        graph = TestGraphs.autowire(pool, new DropCounters(), new Node("sink")
        {
            @Override
            protected void process(final PacketBatch batch)
            {
                batches.add(batch.count());
                for (int i = 0; i < batch.count(); i++)
                {
                    graph.pool().release(batch.get(i));
                }
            }
        });
        worker = new DataplaneWorker("test-worker", pool, graph, ports, new BusyPoller(), 10);
    }

    private static byte[] frame(final int port)
    {
        return Frames.udpFrame(0x0200_0000_0000L | port, 0x0200_0000_00FFL, 1, 2, 3, 4, 60);
    }

    @Test
    void readsABurstPerPortPerCycle()
    {
        final MemoryPort port = new MemoryPort(0, "m");
        worker.attachPort(port);
        assertSame(port, ports.get(0));
        for (int i = 0; i < 100; i++)
        {
            port.inject(frame(0));
        }
        assertEquals(DataplaneWorker.RECEIVE_BURST, worker.doWork());
        assertEquals(100 - DataplaneWorker.RECEIVE_BURST, worker.doWork());
        assertEquals(0, worker.doWork());
        assertEquals(List.of(64, 36), batches);
        assertEquals(pool.capacity(), pool.available());
        assertEquals("test-worker", worker.roleName());
    }

    @Test
    void manyPortsNeverOverflowTheEntryBatch()
    {
        final MemoryPort[] memoryPorts = new MemoryPort[6];
        for (int p = 0; p < memoryPorts.length; p++)
        {
            memoryPorts[p] = new MemoryPort(p, "m" + p);
            worker.attachPort(memoryPorts[p]);
            for (int i = 0; i < 64; i++)
            {
                memoryPorts[p].inject(frame(p));
            }
        }
        assertEquals(6 * 64, worker.doWork());
        // four bursts fill the 256-entry batch; the fifth port's visit runs the graph first
        assertEquals(List.of(256, 128), batches);
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void detachedPortsAreNotRead()
    {
        final MemoryPort port = new MemoryPort(7, "m");
        worker.attachPort(port);
        port.inject(frame(7));
        worker.detachPort(port);
        assertEquals(null, ports.get(7));
        assertEquals(0, worker.doWork());
        assertEquals(List.of(), batches);
    }

    @Test
    void commandsFromOtherThreadsRunInsideTheDutyCycle() throws Exception
    {
        final List<String> ranOn = new ArrayList<>();
        final CompletableFuture<CompletableFuture<Void>> submitted = CompletableFuture.supplyAsync(
            () -> worker.submit(() -> ranOn.add(Thread.currentThread().getName())));
        final CompletableFuture<Void> done = submitted.get(5, TimeUnit.SECONDS);
        assertFalse(done.isDone(), "not before the worker's next cycle");
        assertEquals(1, worker.doWork(), "a command counts as work");
        assertTrue(done.isDone());
        assertEquals(List.of(Thread.currentThread().getName()), ranOn);

        final CompletableFuture<Void> failing = worker.submit(() ->
        {
            throw new IllegalStateException("boom");
        });
        worker.doWork();
        final ExecutionException ex = assertThrows(ExecutionException.class, () -> failing.get(1, TimeUnit.SECONDS));
        assertEquals("boom", ex.getCause().getMessage());
    }

    @Test
    void commandsRunSixteenPerCycleAndTheQueueRefusesWhenFull()
    {
        final int[] count = new int[1];
        final List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 1100; i++)
        {
            futures.add(worker.submit(() -> count[0]++));
        }
        final long refused = futures.stream().filter(CompletableFuture::isCompletedExceptionally).count();
        assertEquals(1100 - 1024, refused);
        assertEquals(16, worker.doWork());
        assertEquals(16, count[0]);
        while (worker.doWork() > 0)
        {
            // drain
        }
        assertEquals(1024, count[0]);
    }

    @Test
    void housekeepingGetsTheTimeEveryCycle()
    {
        final List<Long> calls = new ArrayList<>();
        worker.addHousekeeping(now ->
        {
            calls.add(now);
            return 2;
        });
        final long before = System.currentTimeMillis();
        assertEquals(2, worker.doWork());
        assertEquals(1, calls.size());
        assertTrue(calls.get(0) >= before && calls.get(0) <= System.currentTimeMillis());
    }
}
