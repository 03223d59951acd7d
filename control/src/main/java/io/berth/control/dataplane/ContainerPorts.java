package io.berth.control.dataplane;

import io.berth.dataplane.Port;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.tap.Natives;
import io.berth.tap.NetNamespace;
import io.berth.tap.TapDevice;
import io.berth.tap.TapPort;
import io.berth.tap.xdp.XdpPort;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import static io.berth.control.dataplane.UserspaceDataplane.HOST_LINK_HOST_IP;
import static io.berth.control.dataplane.WorkerCalls.await;

/**
 * The containers' ports: TAPs made in berthd's namespace and moved into the sandbox (or found there again after a
 * restart: persistent, the sandbox keeps its eth0 while berthd is away), or AF_XDP ports on a veth pair
 * ({@link PortType}); configured, bound by port security before the first frame is read, then attached to a
 * worker, the switch and the router; and all of it taken back, step by step, when one step fails. Control thread.
 */
final class ContainerPorts implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.dataplane");

    /** What a container's port needs of the dataplane that holds it. */
    interface Owner
    {
        boolean hasSegment(int id);

        int freePortId();

        /** Whether berth0 exists (a LAN network's containers then reach the host on the link). */
        boolean hostLinkUp();

        /** Whether the workers run (before that, a restart's ports are all the owner's). */
        boolean running();

        /** The port type of endpoints that name none ({@code --port-type}). */
        PortType defaultPortType();
    }

    record Attached(Port port, EndpointSpec endpoint)
    {
    }

    private final PacketPath pipeline;
    private final PortSharding sharding;
    private final LanSegments lanSegments;
    private final Owner owner;
    private final Map<Integer, Attached> ports = new TreeMap<>();

    ContainerPorts(final PacketPath pipeline, final PortSharding sharding, final LanSegments lanSegments,
        final Owner owner)
    {
        this.pipeline = pipeline;
        this.sharding = sharding;
        this.lanSegments = lanSegments;
        this.owner = owner;
    }

    Collection<Attached> all()
    {
        return ports.values();
    }

    Attached get(final int portId)
    {
        return ports.get(portId);
    }

    boolean has(final int portId)
    {
        return ports.containsKey(portId);
    }

    /** A container's TAP: made (or found again in its sandbox), configured there, bound and attached. */
    int attach(final EndpointSpec endpoint, final boolean reattach) throws IOException
    {
        if (!owner.hasSegment(endpoint.segmentId()))
        {
            throw new IOException("no network with id " + endpoint.segmentId() + " in the dataplane");
        }
        final int portId = owner.freePortId();
        final LanSegments.Lan lan = lanSegments.lans.get(endpoint.segmentId());
        if (endpoint.configuredByRuntime())
        {
            return bind(portId, tap(portId, endpoint, openForRuntime(endpoint, reattach)), endpoint, lan);
        }
        final String xdpEnd = xdpEnd(endpoint);
        final boolean xdpThere = reattach && Iproute.linkExists(null, xdpEnd);
        final boolean tapThere = reattach && !xdpThere && Iproute.linkExists(endpoint.sandbox(), endpoint.ifName());
        final PortType type = endpoint.portType() != null ? endpoint.portType() : owner.defaultPortType();
        if (xdpThere || (!tapThere && type == PortType.AFXDP && lan == null))
        {
            return bind(portId, openXdp(portId, endpoint, xdpThere), endpoint, lan);
        }
        final boolean inSandbox = tapThere;
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
            final boolean l3 = lan != null && lan.spec().mode() == LanSegmentSpec.Mode.IPVLAN_L3;
            if (l3)
            {
                // ipvlan L3: no ARP on the link, everything routed by berth (the kernel's ipvlan slaves are NOARP)
                Iproute.configure(new EndpointSpec(endpoint.segmentId(), endpoint.sandbox(), endpoint.ifName(),
                    endpoint.deviceName(), endpoint.mac(), endpoint.ip(), endpoint.prefixLength(), 0, false,
                    endpoint.mtu()));
                Iproute.routedLink(endpoint.sandbox(), endpoint.ifName(), endpoint.defaultRoute());
            }
            else
            {
                Iproute.configure(endpoint);
            }
            if (lan != null && owner.hostLinkUp() && !l3)
            {
                // the LAN's router is not berth: the host is reached on the link, berth answering ARP for it
                Iproute.onLinkRoute(endpoint.sandbox(), endpoint.ifName(), HOST_LINK_HOST_IP);
            }
        }
        catch (final IOException | RuntimeException e)
        {
            discard(fd);
            throw e;
        }
        return bind(portId, tap(portId, endpoint, fd), endpoint, lan);
    }

    private static TapPort tap(final int portId, final EndpointSpec endpoint, final int fd)
    {
        final String name = endpoint.configuredByRuntime() ? endpoint.deviceName() :
            endpoint.sandbox() + "/" + endpoint.ifName();
        return new TapPort(portId, name, fd);
    }

    /** The veth end in berthd's namespace that an AF_XDP port reads: "bx" and the device name's id. */
    static String xdpEnd(final EndpointSpec endpoint)
    {
        return xdpEnd(endpoint.deviceName());
    }

    /** The AF_XDP veth end of container device {@code device} ("bt" + id), or null for any other name. */
    static String xdpEnd(final String device)
    {
        return device.startsWith("bt") ? "bx" + device.substring(2) : null;
    }

    /**
     * A container's AF_XDP port: a veth pair, eth0 in the sandbox (configured as a TAP's would be, its transmit
     * offloads off: the port takes no TSO from it), the other end in berthd's namespace with the XDP program and
     * the socket. After a restart the pair is there already and only the port is opened again.
     */
    private static XdpPort openXdp(final int portId, final EndpointSpec endpoint, final boolean there)
        throws IOException
    {
        final String end = xdpEnd(endpoint);
        if (!there)
        {
            if (endpoint.mtu() > PortType.AFXDP_MAX_MTU)
            {
                throw new IOException("MTU " + endpoint.mtu() + " is beyond an AF_XDP port's " + PortType.AFXDP_MAX_MTU);
            }
            Iproute.vethInto(end, endpoint.sandbox(), endpoint.ifName(), endpoint.mtu());
            try
            {
                Iproute.configure(endpoint);
                Iproute.transmitOffloadsOff(endpoint.sandbox(), endpoint.ifName());
            }
            catch (final IOException | RuntimeException e)
            {
                Iproute.deleteLink(end);
                throw e;
            }
        }
        try
        {
            return XdpPort.open(portId, end);
        }
        catch (final IOException | RuntimeException e)
        {
            if (!there)
            {
                Iproute.deleteLink(end);
            }
            throw e;
        }
    }

    /**
     * A runtime's TAP (Docker's): made in berthd's namespace under its device name with the endpoint's MAC and
     * MTU, for the runtime to move, name and address; after a restart found again in berthd's namespace (not yet
     * moved, or moved back) or in the runtime's sandbox by its MAC.
     */
    private static int openForRuntime(final EndpointSpec endpoint, final boolean reattach) throws IOException
    {
        if (reattach && Iproute.linkExists(null, endpoint.deviceName()))
        {
            final int fd = TapDevice.open(endpoint.deviceName(), true);
            TapDevice.setPersistent(fd, true);
            return fd;
        }
        if (reattach)
        {
            final String name = Iproute.linkWithMac(endpoint.sandbox(), endpoint.mac());
            if (name == null)
            {
                throw new IOException("no interface with MAC " + EthernetFlyweight.formatMac(endpoint.mac()) + " in " +
                    endpoint.sandbox() + " (the sandbox is gone, or the runtime deleted it)");
            }
            final int fd = NetNamespace.runAt(endpoint.sandbox(), () -> TapDevice.open(name, true));
            TapDevice.setPersistent(fd, true);
            return fd;
        }
        final int fd = TapDevice.open(endpoint.deviceName(), false);
        try
        {
            TapDevice.setPersistent(fd, true); // the container keeps its eth0 while berthd restarts
            Iproute.prepareForRuntime(endpoint.deviceName(), endpoint.mac(), endpoint.mtu());
        }
        catch (final IOException | RuntimeException e)
        {
            discard(fd);
            throw e;
        }
        return fd;
    }

    /** Binds the open TAP to port security, then the worker, switch and router read and reach it. */
    private int bind(final int portId, final Port port, final EndpointSpec endpoint, final LanSegments.Lan lan)
        throws IOException
    {
        try
        {
            // bound before the worker reads the port: not one frame passes before port security knows it
            if (lan != null && lan.spec().mode() != LanSegmentSpec.Mode.MACVLAN)
            {
                await(pipeline.l2Commands().bindPortSharedMac(portId, endpoint.segmentId(), endpoint.mac(), endpoint.ip()));
            }
            else
            {
                await(pipeline.l2Commands().bindPort(portId, endpoint.segmentId(), endpoint.mac(), endpoint.ip()));
            }
            if (endpoint.ipv6() != null)
            {
                await(pipeline.l2Commands().bindPortIpv6(portId, endpoint.ipv6().hi(), endpoint.ipv6().lo(),
                    endpoint.ipv6().linkLocal()));
            }
            sharding.attach(port, endpoint.mtu(), owner.running());
            await(pipeline.l2Commands().addPort(portId, endpoint.segmentId()));
            if (lan != null)
            {
                await(pipeline.l2Commands().putLanEndpoint(endpoint.segmentId(), portId, endpoint.ip(), endpoint.mac()));
            }
            await(pipeline.routerCommands().putEndpoint(endpoint.ip(), portId, endpoint.mac()));
        }
        catch (final RuntimeException e)
        {
            undoAttach(port, endpoint);
            discard(port, endpoint);
            throw new IOException("attaching " + port.name() + " to the dataplane failed: " + e.getMessage(), e);
        }
        ports.put(portId, new Attached(port, endpoint));
        return portId;
    }

    /** Takes back whatever of an attach reached the worker; each step on its own, so one failure stops none. */
    private void undoAttach(final Port port, final EndpointSpec endpoint)
    {
        final List<CompletableFuture<Void>> undo = List.of(
            pipeline.routerCommands().removeEndpoint(endpoint.ip()),
            pipeline.l2Commands().removePort(port.id()),
            sharding.detach(port),
            pipeline.l2Commands().unbindPort(port.id()));
        for (final CompletableFuture<Void> step : undo)
        {
            try
            {
                await(step);
            }
            catch (final RuntimeException ignored)
            {
                // that step never happened
            }
        }
    }

    /** Undoes a half-made port: a TAP made non-persistent vanishes with its fd; a veth pair is deleted. */
    private static void discard(final Port port, final EndpointSpec endpoint)
    {
        if (port instanceof TapPort tap)
        {
            discard(tap.fd());
            return;
        }
        port.close();
        try
        {
            Iproute.deleteLink(xdpEnd(endpoint));
        }
        catch (final IOException ignored)
        {
            // gone already
        }
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
        Natives.close(fd);
    }

    /** The container's TAP leaves the dataplane and, no longer persistent, the kernel. */
    void detach(final int portId)
    {
        final Attached attached = ports.remove(portId);
        if (attached == null)
        {
            return;
        }
        await(pipeline.l2Commands().unbindPort(portId));
        await(pipeline.l2Commands().removePort(portId));
        await(pipeline.routerCommands().removeEndpoint(attached.endpoint().ip()));
        await(sharding.detach(attached.port()));
        if (attached.port() instanceof TapPort tap)
        {
            try
            {
                TapDevice.setPersistent(tap.fd(), false);
            }
            catch (final IOException e)
            {
                LOG.log(System.Logger.Level.WARNING, e.getMessage());
            }
            tap.close(); // last fd of a non-persistent TAP: the kernel deletes the device
            return;
        }
        attached.port().close(); // the XDP program goes with it
        try
        {
            Iproute.deleteLink(xdpEnd(attached.endpoint())); // and the pair, eth0 with it
        }
        catch (final IOException e)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot delete " + xdpEnd(attached.endpoint()) + ": " + e.getMessage());
        }
    }

    /** Closes every port's fd; the devices, persistent, stay in their sandboxes for the next berthd. */
    @Override
    public void close()
    {
        for (final Attached attached : ports.values())
        {
            attached.port().close();
        }
        ports.clear();
    }
}
