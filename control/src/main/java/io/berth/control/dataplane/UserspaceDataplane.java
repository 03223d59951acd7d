package io.berth.control.dataplane;

import io.berth.control.ipam.Ipv6Cidr;
import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.WorkerCommands;
import io.berth.dataplane.WriteBatch;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.nat.ConnectionSnapshot;
import io.berth.nat.NatBindings;
import io.berth.tap.AfPacketPort;
import io.berth.tap.EpollPoller;
import io.berth.tap.TapDevice;
import io.berth.tap.TapPort;
import io.berth.tap.uring.UringWriteBatch;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.NoOpIdleStrategy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.berth.control.dataplane.WorkerCalls.await;

/**
 * The real packet path: TAP ports (virtio-net headers, TSO) for containers, a TAP into the host kernel
 * ({@code berth0}) and an AF_PACKET uplink, all read by one worker agent running {@link RouterPipeline}.
 * Device plumbing (moving a TAP into a sandbox, addresses, routes) is done here with iproute2 on the calling
 * control thread; table changes go to the worker as commands. Called from one control thread at a time.
 */
public final class UserspaceDataplane implements Dataplane
{
    /** Packets in flight at once: a graph batch plus a receive burst per ready port fit many times over. */
    static final int POOL_PACKETS = Integer.getInteger("berth.pool.packets", 1024);
    /** How long an idle worker blocks in epoll before giving housekeeping a turn. */
    static final int IDLE_TIMEOUT_MS = 100;

    /** The host link: berth0's kernel side and berthd's side, a /30 no container network is likely to use. */
    static final String HOST_LINK_DEVICE = "berth0";
    static final int HOST_LINK_HOST_IP = Ipv4Flyweight.parse(System.getProperty("berth.hostlink", "169.254.123.1"));
    static final int HOST_LINK_OUR_IP = HOST_LINK_HOST_IP + 1;
    static final long HOST_LINK_HOST_MAC = 0x0242_0000_0000L | (HOST_LINK_HOST_IP & 0xFFFF_FFFFL);
    static final long HOST_LINK_OUR_MAC = 0x0242_0000_0000L | (HOST_LINK_OUR_IP & 0xFFFF_FFFFL);

    private static final System.Logger LOG = System.getLogger("io.berth.control.dataplane");
    private final PacketPath pipeline;
    private final DataplaneWorker worker;
    /** The containers' TAP ports. */
    private final ContainerPorts containerPorts;
    /** Which worker reads and writes each container port (--workers N). */
    private final PortSharding sharding;
    private final Map<Integer, SegmentSpec> networks = new TreeMap<>();
    /** VNIs, tunnel ports, remote endpoints and WireGuard. */
    private final OverlayTunnels overlay;
    /** Every port by id and name; numbers new ones. */
    private final PortDirectory portDirectory;
    /** macvlan and ipvlan segments and the parents they opened. */
    private final LanSegments lanSegments;
    private AgentRunner runner;
    private final WriteBatch writes;
    private TapPort hostLink;
    /** {@code --port-type}: what containers' ports are when their network does not say. Control thread. */
    private PortType defaultPortType = PortType.TAP;
    private AfPacketPort uplink;
    private UplinkSpec uplinkSpec;
    private final HostRoutes6 routes6;

    public UserspaceDataplane(final Path stateDir)
    {
        this(stateDir, DataplaneOptions.defaults());
    }

    public UserspaceDataplane(final Path stateDir, final DataplaneOptions options)
    {
        this(stateDir, options, (WriteBatch)null, 1);
    }

    /**
     * @param ioUring batch the transmit stage's writes through an io_uring ({@code --io-uring})
     * @throws IOException naming errno when io_uring is missing or disabled
     */
    public UserspaceDataplane(final Path stateDir, final DataplaneOptions options, final boolean ioUring) throws IOException
    {
        this(stateDir, options, ioUring, 1);
    }

    /**
     * @param workers dataplane threads ({@code --workers}): the owner, which runs the graph and every table, and
     *                {@code workers - 1} port workers that read and write a share of the containers' ports
     * @throws IOException naming errno when io_uring is missing or disabled
     */
    public UserspaceDataplane(final Path stateDir, final DataplaneOptions options, final boolean ioUring,
        final int workers) throws IOException
    {
        this(stateDir, options, ioUring ? UringWriteBatch.open(64) : null, DataplaneOptions.checkWorkers(workers));
    }

    /** @param writes the transmit stage's write batch, closed with the dataplane; null: one write a frame */
    private UserspaceDataplane(final Path stateDir, final DataplaneOptions options, final WriteBatch writes,
        final int workers)
    {
        this.writes = writes;
        pipeline = new PacketPath(new PacketPool(POOL_PACKETS), new EpollPoller(), IDLE_TIMEOUT_MS, options);
        if (writes != null)
        {
            pipeline.batchWrites(writes);
        }
        worker = pipeline.worker;
        final Owner owner = new Owner();
        lanSegments = new LanSegments(pipeline, owner);
        pipeline.commandsThrough(WorkerCommands.DIRECT); // until the worker thread runs
        sharding = new PortSharding(pipeline, workers, options.spinMicros());
        containerPorts = new ContainerPorts(pipeline, sharding, lanSegments, owner);
        overlay = new OverlayTunnels(pipeline, owner::freePortId, () -> uplink);
        portDirectory = new PortDirectory(containerPorts, overlay.ports, lanSegments, () -> uplink, () -> hostLink);
        tracing = new PacketTracing(pipeline, portDirectory::idOf, portDirectory::nameOf);
        captures = new Captures(pipeline, portDirectory);
        routes6 = new HostRoutes6(pipeline);
    }

    @Override
    public void start()
    {
        sharding.start(UserspaceDataplane::onWorkerError);
        runner = new AgentRunner(new NoOpIdleStrategy(), UserspaceDataplane::onWorkerError, null, worker);
        AgentRunner.startOnThread(runner);
        pipeline.commandsThrough(worker);
        try
        {
            startHostLink();
        }
        catch (final IOException e)
        {
            LOG.log(System.Logger.Level.WARNING, "no host link (" + e.getMessage() + "): the host cannot reach containers by address");
        }
    }

    /**
     * berth0: a TAP whose kernel side is the host, so the host reaches containers by address as it does through
     * docker0. Not persistent: it lives as long as berthd. Routes to each network are added with the network.
     */
    private void startHostLink() throws IOException
    {
        if (Iproute.linkExists(null, HOST_LINK_DEVICE))
        {
            Iproute.deleteLink(HOST_LINK_DEVICE); // left by a berthd that was killed
        }
        final int fd = TapDevice.open(HOST_LINK_DEVICE, false);
        final TapPort port = new TapPort(portDirectory.freeId(), HOST_LINK_DEVICE, fd);
        try
        {
            Iproute.configureHostLink(HOST_LINK_DEVICE, HOST_LINK_HOST_IP, HOST_LINK_HOST_MAC);
        }
        catch (final IOException e)
        {
            port.close();
            throw e;
        }
        await(pipeline.portCommands().attach(port));
        await(pipeline.routerCommands().hostLink(port.id(), HOST_LINK_OUR_IP, HOST_LINK_OUR_MAC, HOST_LINK_HOST_IP, HOST_LINK_HOST_MAC));
        hostLink = port;
        routes6.hostLinkStarted(HOST_LINK_DEVICE);
    }

    @Override
    public int hostLinkAddress()
    {
        return HOST_LINK_HOST_IP;
    }

    @Override
    public void attachUplink(final UplinkSpec spec) throws IOException
    {
        if (uplink != null)
        {
            throw new IOException("an uplink is attached already: " + uplink.name());
        }
        final AfPacketPort port = AfPacketPort.open(portDirectory.freeId(), spec.iface());
        try
        {
            await(pipeline.portCommands().attach(port, Iproute.mtu(spec.iface())));
            await(pipeline.routerCommands().uplink(port.id(), spec.ip(), spec.prefixLength(), PacketTracing.macOf(port.mac()), spec.gateway()));
            await(pipeline.worker.submit(() -> port.routed(spec.ip()))); // a LAN network may share its wire
        }
        catch (final RuntimeException e)
        {
            port.close();
            throw new IOException("attaching uplink " + spec.iface() + " failed: " + e.getMessage(), e);
        }
        uplink = port;
        uplinkSpec = spec;
        routes6.uplink(spec);
        await(pipeline.localVtep(spec.ip()));
    }

    @Override
    public void addOverlay(final int segmentId, final int vni, final int udpPort, final boolean encrypted)
    {
        overlay.addOverlay(segmentId, vni, udpPort, encrypted);
    }

    @Override
    public void segmentIpv6(final int segmentId, final Ipv6Cidr prefix, final long gatewayHi, final long gatewayLo,
        final int ipv4Network, final boolean advertise, final boolean masquerade)
    {
        await(pipeline.l2Commands().ipv6(segmentId, gatewayHi, gatewayLo, prefix.hi(), prefix.prefixLength(),
            ipv4Network, advertise));
        routes6.addSegment(segmentId, prefix, gatewayHi, gatewayLo, ipv4Network, masquerade);
    }

    @Override
    public void removeOverlay(final int vni)
    {
        overlay.removeOverlay(vni);
    }

    @Override
    public int addTunnel(final int segmentId, final int vni, final int remoteVtep, final int mtu, final boolean encrypted)
    {
        return overlay.addTunnel(segmentId, vni, remoteVtep, mtu, encrypted);
    }

    @Override
    public void removeTunnel(final int portId)
    {
        overlay.removeTunnel(portId);
    }

    @Override
    public void startWireGuard(final byte[] privateKey, final int port)
    {
        overlay.startWireGuard(privateKey, port, uplinkSpec == null ? 0 : uplinkSpec.ip(),
            uplink == null ? 0 : PacketTracing.macOf(uplink.mac()));
    }

    @Override
    public void putWireGuardPeer(final int vtep, final byte[] publicKey, final int endpointIp, final int endpointPort)
    {
        overlay.putWireGuardPeer(vtep, publicKey, endpointIp, endpointPort);
    }

    @Override
    public void removeWireGuardPeer(final int vtep)
    {
        overlay.removeWireGuardPeer(vtep);
    }

    @Override
    public List<WireGuardPeerView> wireGuardPeers()
    {
        return overlay.wireGuardPeers();
    }

    @Override
    public void putRemoteEndpoint(final int segmentId, final int tunnelPort, final int ip, final long mac)
    {
        await(pipeline.l2Commands().putRemote(segmentId, ip, mac, tunnelPort));
    }

    @Override
    public void removeRemoteEndpoint(final int segmentId, final int ip, final long mac)
    {
        await(pipeline.l2Commands().removeRemote(segmentId, ip, mac));
    }

    @Override
    public boolean publish6(final int protocol, final int hostPort, final long[] container, final int containerPort)
    {
        return await(pipeline.natCommands().publish6(protocol, hostPort, container[0], container[1], containerPort));
    }

    @Override
    public void unpublish6(final int protocol, final int hostPort)
    {
        await(pipeline.natCommands().unpublish6(protocol, hostPort));
    }

    @Override
    public void lanSegmentIpv6(final int segmentId, final Ipv6Cidr prefix, final int ipv4Network)
    {
        await(pipeline.l2Commands().ipv6(segmentId, 0, 0, prefix.hi(), prefix.prefixLength(), ipv4Network, false));
    }

    @Override
    public long[] uplinkIpv6()
    {
        return uplinkSpec == null ? null : uplinkSpec.ip6();
    }

    @Override
    public boolean publish(final PublishSpec p)
    {
        return await(pipeline.natCommands().publish(p.hostIp(), p.protocol(), p.hostPort(), p.containerIp(), p.containerPort()));
    }

    @Override
    public void unpublish(final PublishSpec p)
    {
        await(pipeline.natCommands().unpublish(p.hostIp(), p.protocol(), p.hostPort()));
    }

    @Override
    public List<Map<String, Object>> connections()
    {
        final List<Map<String, Object>> result = new ArrayList<>();
        for (final ConnectionSnapshot connection : await(pipeline.natCommands().connections()))
        {
            result.add(connection.toMap());
        }
        return result;
    }

    @Override
    public void saveConnections(final Path file) throws IOException
    {
        ConnectionFiles.save(pipeline, file);
    }

    @Override
    public int restoreConnections(final Path file) throws IOException
    {
        return ConnectionFiles.restore(pipeline, file);
    }

    /** In the state dir: the NAT bindings, mirrored as made (see {@link NatBindings}). */
    public static final String NAT_BINDINGS_FILE = ConnectionFiles.NAT_BINDINGS_FILE;

    @Override
    public int flushConnections()
    {
        return await(pipeline.natCommands().flush());
    }

    private static void onWorkerError(final Throwable error)
    {
        LOG.log(System.Logger.Level.ERROR, "dataplane worker error", error);
    }

    @Override
    public void addSegment(final SegmentSpec network)
    {
        await(pipeline.l2Commands().addDomain(network.id(), network.gatewayIp(), network.gatewayMac(), network.icc()));
        await(pipeline.routerCommands().addDomain(network.id(), network.subnet(), network.prefixLength(),
            network.gatewayIp(), network.gatewayMac(), network.internal()));
        networks.put(network.id(), network);
        routeFromHost(network);
    }

    /** The host reaches the network through berth0. */
    private void routeFromHost(final SegmentSpec network)
    {
        if (hostLink != null)
        {
            try
            {
                Iproute.routeVia(network.subnet(), network.prefixLength(), HOST_LINK_OUR_IP, HOST_LINK_DEVICE);
            }
            catch (final IOException e)
            {
                LOG.log(System.Logger.Level.WARNING, "the host will not reach " + network.name() + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void addLanSegment(final LanSegmentSpec lan)
    {
        lanSegments.add(lan);
    }

    @Override
    public void removeLanSegment(final int segmentId)
    {
        lanSegments.remove(segmentId);
    }

    @Override
    public long sharedMac(final int segmentId)
    {
        return lanSegments.sharedMac(segmentId);
    }

    @Override
    public int interfaceMtu(final String iface)
    {
        return Iproute.mtu(iface);
    }

    /** What a container's port and a LAN segment need of this dataplane (control thread). */
    private final class Owner implements ContainerPorts.Owner, LanSegments.Owner
    {
        @Override
        public boolean hasSegment(final int id)
        {
            return networks.containsKey(id);
        }

        @Override
        public int freePortId()
        {
            return portDirectory.freeId();
        }

        @Override
        public boolean hostLinkUp()
        {
            return hostLink != null;
        }

        @Override
        public boolean running()
        {
            return runner != null;
        }

        @Override
        public PortType defaultPortType()
        {
            return defaultPortType;
        }

        @Override
        public void addSegment(final SegmentSpec segment)
        {
            networks.put(segment.id(), segment);
            routeFromHost(segment);
        }

        @Override
        public void routeFromHost(final SegmentSpec segment)
        {
            UserspaceDataplane.this.routeFromHost(segment);
        }

        @Override
        public void removeSegment(final int id)
        {
            UserspaceDataplane.this.removeSegment(id);
        }

        @Override
        public AfPacketPort uplink()
        {
            return uplink;
        }

        @Override
        public UplinkSpec uplinkSpec()
        {
            return uplinkSpec;
        }
    }

    @Override
    public void removeSegment(final int networkId)
    {
        await(pipeline.l2Commands().removeDomain(networkId));
        await(pipeline.routerCommands().removeDomain(networkId));
        routes6.removeSegment(networkId);
        final SegmentSpec removed = networks.remove(networkId);
        if (removed != null && hostLink != null)
        {
            Iproute.deleteRoute(removed.subnet(), removed.prefixLength());
        }
    }

    @Override
    public int attachTap(final EndpointSpec endpoint, final boolean reattach) throws IOException
    {
        return containerPorts.attach(endpoint, reattach);
    }

    @Override
    public void detachPort(final int portId)
    {
        containerPorts.detach(portId);
    }

    /** What containers' ports are when their network does not say ({@code berthd --port-type}). */
    public void defaultPortType(final PortType type)
    {
        this.defaultPortType = type;
    }

    @Override
    public boolean hasDevice(final String deviceName)
    {
        return LeftoverDevices.exists(deviceName);
    }

    @Override
    public void removeLeftoverDevice(final String deviceName)
    {
        LeftoverDevices.remove(deviceName);
    }

    @Override
    public List<String> removeStrayTaps(final String netns)
    {
        return LeftoverDevices.removeStrayTaps(netns);
    }

    @Override
    public void defaultRouteVia(final String sandbox, final String ifName, final int gatewayIp) throws IOException
    {
        Iproute.defaultRoute(sandbox, ifName, gatewayIp);
    }

    @Override
    public Map<String, Object> counters()
    {
        final Map<String, Object> result = new LinkedHashMap<>();
        result.put("ports", portDirectory.counters(networks, sharding));
        DataplaneCounters.pipeline(result, pipeline, networks.values(), sharding.portWorkers(), sharding.workers());
        captures.describe(result);
        return result;
    }

    private final Captures captures;
    private final PacketTracing tracing;

    @Override
    public List<TraceEvent> trace(final String portName, final byte[] frame, final int destination,
        final int protocol, final int l4Port, final int count, final long timeoutMs) throws InterruptedException
    {
        return tracing.trace(portName, frame, destination, protocol, l4Port, count, timeoutMs);
    }

    @Override
    public List<TraceEvent> traceFromIpv6(final int protocol, final long[] destination, final int port,
        final long timeoutMs) throws InterruptedException
    {
        return tracing.traceFromIpv6(protocol, destination, port, timeoutMs, uplink, uplinkSpec);
    }

    @Override
    public List<TraceEvent> traceFrom(final boolean fromUplink, final int protocol, final int destination,
        final int destinationPort, final long timeoutMs) throws InterruptedException
    {
        return tracing.traceFrom(fromUplink, protocol, destination, destinationPort, timeoutMs, uplink, uplinkSpec,
            hostLink != null);
    }

    @Override
    public FlowSource flowLog(final boolean starts)
    {
        return FlowRecords.start(pipeline, starts);
    }

    @Override
    public List<TraceEvent> traceIpv6(final String portName, final long[] destination, final int protocol,
        final int l4Port, final int count, final long timeoutMs) throws InterruptedException
    {
        return tracing.traceIpv6(portName, destination, protocol, l4Port, count, timeoutMs);
    }

    @Override
    public CaptureRing.Session capture(final String stage, final List<String> portNames, final int snaplen)
    {
        return captures.open(stage, portNames, snaplen);
    }

    @Override
    public void close()
    {
        captures.close();
        sharding.close(); // first: they only read and write, the owner's tables need them not
        if (runner != null)
        {
            runner.close(); // joins the worker; its onClose closes the poller
            runner = null;
        }
        pipeline.natBindings.detach(); // the worker is gone: nothing writes to the mirror any more
        if (writes != null)
        {
            writes.close(); // after the worker: it flushed its last pass before it stopped
        }
        containerPorts.close(); // persistent: the devices stay in the sandboxes for the next berthd
        if (hostLink != null)
        {
            hostLink.close(); // not persistent: berth0 and its routes go with berthd
            hostLink = null;
        }
        if (uplink != null)
        {
            uplink.close();
            uplink = null;
        }
        lanSegments.parents.values().forEach(AfPacketPort::close); // promiscuous memberships go with the sockets
        lanSegments.parents.clear();
    }
}
