package io.berth.control.dataplane;

import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortWorker;
import io.berth.dataplane.RemotePort;
import io.berth.tap.EpollPoller;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.NoOpIdleStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import static io.berth.control.dataplane.UserspaceDataplane.IDLE_TIMEOUT_MS;
import static io.berth.control.dataplane.WorkerCalls.await;

/**
 * {@code berthd --workers N}: container ports spread over the owner worker and N - 1 port workers, one port after
 * another in turn. A port worker only reads and writes its ports; the graph and every table stay the owner's,
 * which sends to such a port through a {@link RemotePort}. Control thread (the threads it starts are the workers').
 */
final class PortSharding implements AutoCloseable
{
    private final PacketPath pipeline;
    private final DataplaneWorker owner;
    private final List<PortWorker> portWorkers = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    /** The port worker of each container port that has one (the rest are the owner's). */
    private final Map<Integer, PortWorker> workerOf = new TreeMap<>();
    /** Round robin over the owner (0) and the port workers. */
    private int nextShard;

    PortSharding(final PacketPath pipeline, final int workers, final long spinMicros)
    {
        this.pipeline = pipeline;
        this.owner = pipeline.worker;
        for (int k = 1; k < workers; k++)
        {
            portWorkers.add(new PortWorker("berth-ports-" + k, owner.pool(), owner.newShardLink(), new EpollPoller(),
                IDLE_TIMEOUT_MS, spinMicros));
        }
    }

    /** Starts every port worker on a thread of its own. */
    void start(final ErrorHandler onError)
    {
        for (final PortWorker portWorker : portWorkers)
        {
            final AgentRunner runner = new AgentRunner(new NoOpIdleStrategy(), onError, null, portWorker);
            AgentRunner.startOnThread(runner);
            runners.add(runner);
        }
    }

    /**
     * Gives a container's port to the next worker in turn: the owner reads it itself, or the owner's table gets
     * a {@link RemotePort} (packets to the port cross to its worker) before that worker starts reading it. Before
     * the workers run (a restart's endpoints), every port is the owner's.
     */
    void attach(final Port port, final int mtu, final boolean running)
    {
        final int shard = !running || portWorkers.isEmpty() ? 0 : nextShard++ % (portWorkers.size() + 1);
        if (shard == 0)
        {
            await(pipeline.portCommands().attach(port, mtu));
            return;
        }
        final PortWorker portWorker = portWorkers.get(shard - 1);
        final RemotePort remote = new RemotePort(port, portWorker.link());
        await(owner.submit(() ->
        {
            owner.ports().mtu(port.id(), mtu);
            owner.attachRemotePort(remote);
        }));
        workerOf.put(port.id(), portWorker);
        await(portWorker.run(() -> portWorker.attach(port)));
    }

    /** Its worker stops reading and writing the port, then the owner forgets it: it can be closed after. */
    CompletableFuture<Void> detach(final Port port)
    {
        final PortWorker portWorker = workerOf.remove(port.id());
        if (portWorker == null)
        {
            return pipeline.portCommands().detach(port);
        }
        return portWorker.run(() -> portWorker.detach(port)).thenCompose(done -> pipeline.portCommands().detach(port));
    }

    /** The port worker of {@code portId}, or null (the owner's). */
    PortWorker workerOf(final int portId)
    {
        return workerOf.get(portId);
    }

    List<PortWorker> portWorkers()
    {
        return portWorkers;
    }

    Map<Integer, PortWorker> workers()
    {
        return workerOf;
    }

    /** Stops the port workers' threads. */
    @Override
    public void close()
    {
        runners.forEach(AgentRunner::close);
        runners.clear();
    }
}
