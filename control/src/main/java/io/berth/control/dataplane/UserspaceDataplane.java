package io.berth.control.dataplane;

import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortCounters;
import io.berth.l2.BridgeDomain;
import io.berth.l2.L2Pipeline;
import io.berth.tap.EpollPoller;
import io.berth.tap.NetNamespace;
import io.berth.tap.TapDevice;
import io.berth.tap.TapPort;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.NoOpIdleStrategy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The real packet path: TAP ports (virtio-net headers, TSO) read by one worker agent that runs the L2 pipeline.
 * Device plumbing (moving a TAP into a sandbox, addresses, routes) is done here with iproute2 on the calling
 * control thread; table changes go to the worker as commands. Called from one control thread at a time.
 */
public final class UserspaceDataplane implements Dataplane
{
    /** Packets in flight at once: a graph batch plus a receive burst per ready port fit many times over. */
    static final int POOL_PACKETS = Integer.getInteger("berth.pool.packets", 1024);
    /** How long an idle worker blocks in epoll before giving housekeeping a turn. */
    static final int IDLE_TIMEOUT_MS = 100;
    private static final long COMMAND_TIMEOUT_SECONDS = 10;

    private final L2Pipeline pipeline;
    private final DataplaneWorker worker;
    private final Map<Integer, Attached> ports = new TreeMap<>();
    private final Map<Integer, NetworkSpec> networks = new TreeMap<>();
    private AgentRunner runner;

    private record Attached(TapPort port, EndpointSpec endpoint)
    {
    }

    public UserspaceDataplane(final Path stateDir)
    {
        pipeline = new L2Pipeline(new PacketPool(POOL_PACKETS), new EpollPoller(), IDLE_TIMEOUT_MS);
        worker = pipeline.worker();
    }

    @Override
    public void start()
    {
        runner = new AgentRunner(new NoOpIdleStrategy(), UserspaceDataplane::onWorkerError, null, worker);
        AgentRunner.startOnThread(runner);
    }

    private static void onWorkerError(final Throwable error)
    {
        System.err.println("berthd: dataplane worker error: " + error);
        error.printStackTrace();
    }

    @Override
    public void addNetwork(final NetworkSpec network)
    {
        onWorker(() -> pipeline.l2().addDomain(
            new BridgeDomain(network.id(), network.gatewayIp(), network.gatewayMac(), network.icc())));
        networks.put(network.id(), network);
    }

    @Override
    public void removeNetwork(final int networkId)
    {
        onWorker(() -> pipeline.l2().removeDomain(networkId));
        networks.remove(networkId);
    }

    @Override
    public int attachEndpoint(final EndpointSpec endpoint, final boolean reattach) throws IOException
    {
        if (!networks.containsKey(endpoint.networkId()))
        {
            throw new IOException("no network with id " + endpoint.networkId() + " in the dataplane");
        }
        final int portId = freePortId();
        final boolean inSandbox = reattach && Iproute.linkExists(endpoint.sandbox(), endpoint.ifName());
        final int fd = inSandbox
            ? NetNamespace.run(endpoint.sandbox(), () -> TapDevice.open(endpoint.ifName(), true))
            : TapDevice.open(endpoint.deviceName(), false);
        try
        {
            TapDevice.setPersistent(fd, true); // the sandbox keeps its eth0 while berthd restarts
            if (!inSandbox)
            {
                Iproute.moveInto(endpoint.deviceName(), endpoint.sandbox(), endpoint.ifName());
            }
            Iproute.configure(endpoint);
        }
        catch (final IOException | RuntimeException e)
        {
            discard(fd);
            throw e;
        }
        final TapPort port = new TapPort(portId, endpoint.sandbox() + "/" + endpoint.ifName(), fd);
        try
        {
            onWorker(() ->
            {
                worker.attachPort(port);
                pipeline.l2().addPort(portId, endpoint.networkId());
            });
        }
        catch (final RuntimeException e)
        {
            discard(fd);
            throw new IOException("attaching " + port.name() + " to the dataplane failed: " + e.getMessage(), e);
        }
        ports.put(portId, new Attached(port, endpoint));
        return portId;
    }

    /** Undoes a half-made endpoint: a non-persistent TAP vanishes with its last fd. */
    private static void discard(final int fd)
    {
        try
        {
            TapDevice.setPersistent(fd, false);
        }
        catch (final IOException ignored)
        {
            // closing below still detaches; the device then stays only if something else holds it
        }
        io.berth.tap.Natives.close(fd);
    }

    @Override
    public void detachEndpoint(final int portId)
    {
        final Attached attached = ports.remove(portId);
        if (attached == null)
        {
            return;
        }
        onWorker(() ->
        {
            pipeline.l2().removePort(portId);
            worker.detachPort(attached.port());
        });
        try
        {
            TapDevice.setPersistent(attached.port().fd(), false);
        }
        catch (final IOException e)
        {
            System.err.println("berthd: " + e.getMessage());
        }
        attached.port().close(); // last fd of a non-persistent TAP: the kernel deletes the device
    }

    @Override
    public Map<String, Object> counters()
    {
        final Map<String, Object> result = new LinkedHashMap<>();
        final Map<String, Object> portCounters = new LinkedHashMap<>();
        for (final Attached attached : ports.values())
        {
            final PortCounters counters = attached.port().counters();
            final Map<String, Object> values = new LinkedHashMap<>();
            final NetworkSpec network = networks.get(attached.endpoint().networkId());
            values.put("network", network == null ? "?" : network.name());
            for (int i = 0; i < PortCounters.NAMES.length; i++)
            {
                values.put(PortCounters.NAMES[i], counters.get(i));
            }
            portCounters.put(attached.port().name(), values);
        }
        result.put("ports", portCounters);
        final Map<String, Object> drops = new LinkedHashMap<>();
        for (final DropReason reason : DropReason.values())
        {
            drops.put(reason.counterName(), pipeline.drops().get(reason));
        }
        result.put("drops", drops);
        final Map<String, Object> networkCounters = new LinkedHashMap<>();
        for (final NetworkSpec network : networks.values())
        {
            // a plain read of a worker-owned int: a display value, a slightly stale one is fine
            networkCounters.put(network.name(), Map.of("macs", pipeline.l2().macs().macsInDomain(network.id())));
        }
        result.put("networks", networkCounters);
        return result;
    }

    @Override
    public void close()
    {
        if (runner != null)
        {
            runner.close(); // joins the worker; its onClose closes the poller
            runner = null;
        }
        for (final Attached attached : ports.values())
        {
            attached.port().close(); // persistent: the device stays in the sandbox for the next berthd
        }
        ports.clear();
    }

    private int freePortId()
    {
        int id = 0;
        while (ports.containsKey(id))
        {
            id++;
        }
        return id;
    }

    private void onWorker(final Runnable command)
    {
        if (runner == null)
        {
            command.run(); // not started yet (or tests): nobody else touches the tables
            return;
        }
        try
        {
            worker.submit(command).get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final ExecutionException e)
        {
            final Throwable cause = e.getCause();
            throw cause instanceof RuntimeException ? (RuntimeException)cause : new IllegalStateException(cause);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the dataplane worker", e);
        }
        catch (final TimeoutException e)
        {
            throw new IllegalStateException("the dataplane worker did not answer in " + COMMAND_TIMEOUT_SECONDS + " s");
        }
    }
}
