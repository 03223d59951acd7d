package io.berth.control.dataplane;

import io.berth.control.error.BerthException;
import io.berth.l2.BridgeDomain;
import io.berth.l3.Router;
import io.berth.tap.AfPacketPort;
import io.berth.tap.LanPort;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

import static io.berth.control.dataplane.UserspaceDataplane.HOST_LINK_HOST_IP;
import static io.berth.control.dataplane.UserspaceDataplane.HOST_LINK_HOST_MAC;
import static io.berth.control.dataplane.WorkerCalls.await;

/**
 * macvlan and ipvlan segments (issue 9): each on an AF_PACKET parent interface (the uplink's socket, or one this
 * class opens and shares among the segments of one driver), with its LAN port, its domain and routes, and its
 * shared MAC (ipvlan: the parent's). One parent serves one driver, and a parent and VLAN one network. Control
 * thread; the worker-owned tables are changed through the packet path's proxies.
 */
final class LanSegments
{
    /** What a LAN segment needs of the dataplane that holds it. */
    interface Owner
    {
        boolean hasSegment(int id);

        /** The segment is known, and routed to from the host. */
        void addSegment(SegmentSpec segment);

        void routeFromHost(SegmentSpec segment);

        void removeSegment(int id);

        int freePortId();

        /** The uplink's socket and address, or null before (or without) an uplink. */
        AfPacketPort uplink();

        UplinkSpec uplinkSpec();
    }

    /** @param parent the socket on the parent interface (the uplink's, or one of {@link #parents}); null without. */
    record Lan(LanSegmentSpec spec, LanPort port, AfPacketPort parent, long sharedMac)
    {
    }

    private final PacketPath pipeline;
    private final Owner owner;
    /** Parent interfaces LAN segments opened (the uplink's socket is the uplink's, not in here). */
    final Map<String, AfPacketPort> parents = new TreeMap<>();
    /** LAN segments by id, with their port to the parent (null: no LAN). */
    final Map<Integer, Lan> lans = new TreeMap<>();

    LanSegments(final PacketPath pipeline, final Owner owner)
    {
        this.pipeline = pipeline;
        this.owner = owner;
    }

    /** A macvlan or ipvlan segment: its parent opened (or shared), its domain and routes, its port. */
    void add(final LanSegmentSpec lan)
    {
        if (owner.hasSegment(lan.id()))
        {
            throw new IllegalStateException("segment " + lan.id() + " exists already");
        }
        AfPacketPort parent = null;
        boolean opened = false;
        if (lan.parent() != null)
        {
            for (final Lan other : lans.values())
            {
                if (lan.parent().equals(other.spec().parent()))
                {
                    if (other.spec().mode().driver().equals(lan.mode().driver()) && other.spec().vid() == lan.vid())
                    {
                        throw new BerthException("parent " + parentName(lan.parent(), lan.vid()) +
                            " is in use by network " + other.spec().name() + ": one network per parent and VLAN; " +
                            "give another VLAN (parent=" + lan.parent() + ".VID) or another interface");
                    }
                    if (!other.spec().mode().driver().equals(lan.mode().driver()))
                    {
                        throw new BerthException("parent " + lan.parent() + " serves " +
                            other.spec().mode().driver() + " network " + other.spec().name() + ": one parent cannot " +
                            "serve macvlan and ipvlan networks at once");
                    }
                }
            }
            parent = owner.uplink() != null && owner.uplink().name().equals(lan.parent()) ? owner.uplink() : parents.get(lan.parent());
            if (parent == null)
            {
                parent = openParent(lan.parent());
                opened = true;
            }
        }
        final long sharedMac = parent != null ? parent.macAddress() : 0x0242_0000_0000L | (lan.subnet() & 0xFFFF_FFFFL);
        final boolean l3 = lan.mode() == LanSegmentSpec.Mode.IPVLAN_L3;
        final long lanMac = lan.mode() != LanSegmentSpec.Mode.MACVLAN ? sharedMac : BridgeDomain.NO_MAC;
        final int mode = switch (lan.mode())
        {
            case MACVLAN -> BridgeDomain.MODE_MACVLAN;
            case IPVLAN_L2 -> BridgeDomain.MODE_IPVLAN_L2;
            case IPVLAN_L3 -> BridgeDomain.MODE_IPVLAN_L3;
        };
        // ipvlan L3 routes its LAN from an address of berth's there (given, or the owner.uplink()'s on the owner.uplink()'s wire)
        int routerIp = lan.routerIp();
        int routerPrefix = lan.routerPrefix();
        int routerGateway = 0;
        final boolean onUplink = parent != null && parent == owner.uplink();
        if (l3 && parent != null && routerIp == 0)
        {
            if (!onUplink || lan.vid() != 0)
            {
                if (opened)
                {
                    closeParent(parent);
                }
                throw new BerthException("ipvlan_mode=l3 on parent " + parentName(lan.parent(),
                    lan.vid()) + " needs -o parent_ip=ADDR/PREFIX: the address berth owns on that LAN, which its " +
                    "hosts route the network's subnets via (only the owner.uplink()'s own wire has one already)");
            }
            routerIp = owner.uplinkSpec().ip();
            routerPrefix = owner.uplinkSpec().prefixLength();
        }
        // an L3 network on the owner.uplink()'s untagged wire, at the owner.uplink()'s address, is routed by the owner.uplink() port itself
        final boolean routedByUplink = l3 && onUplink && lan.vid() == 0 && routerIp == owner.uplinkSpec().ip();
        if (routedByUplink)
        {
            routerGateway = owner.uplinkSpec().gateway();
        }
        final int hostIp = l3 ? (routerIp != 0 ? routerIp : HOST_LINK_HOST_IP) : HOST_LINK_HOST_IP;
        final long hostMac = l3 ? sharedMac : HOST_LINK_HOST_MAC;
        LanPort port = null;
        try
        {
            await(pipeline.l2Commands().addLanDomain(lan.id(), mode, hostIp, hostMac, lanMac, lan.icc()));
            // routed only to and from the host: internal, so nothing reaches the owner.uplink() or another network this way
            await(pipeline.routerCommands().addLanDomain(lan.id(), lan.subnet(), lan.prefixLength(), hostIp, hostMac));
            int routerPort = Router.NONE;
            if (parent != null && !routedByUplink)
            {
                port = new LanPort(owner.freePortId(), parent, lan.vid());
                if (l3)
                {
                    // not a member of the domain: a routed port in none, the LAN's frames handed to it by its VLAN
                    await(pipeline.attachLanRouterPort(port, parent, parentMtu(lan.parent())));
                    routerPort = port.id();
                }
                else
                {
                    await(pipeline.attachLanPort(port, parent, lan.id(), parentMtu(lan.parent())));
                }
            }
            else if (routedByUplink)
            {
                routerPort = owner.uplink().id();
            }
            // every subnet is reached from the host; only L3 isolates in the router (L2 does in the switch)
            await(pipeline.routerCommands().routedLan(lan.id(), lan.moreSubnets(), l3 && !lan.icc(), routerPort,
                routerIp, routerPrefix, parent == null ? 0 : parent.macAddress(), routerGateway));
        }
        catch (final RuntimeException e)
        {
            await(pipeline.l2Commands().removeDomain(lan.id()));
            await(pipeline.routerCommands().removeDomain(lan.id()));
            if (opened)
            {
                closeParent(parent);
            }
            throw e;
        }
        if (opened)
        {
            parents.put(lan.parent(), parent);
        }
        lans.put(lan.id(), new Lan(lan, port, parent, sharedMac));
        final SegmentSpec segment = new SegmentSpec(lan.id(), lan.name(), lan.subnet(), lan.prefixLength(),
            hostIp, hostMac, lan.icc(), true, lan.mtu());
        owner.addSegment(segment);
        for (int i = 0; i + 1 < lan.moreSubnets().length; i += 2)
        {
            owner.routeFromHost(new SegmentSpec(lan.id(), lan.name(), lan.moreSubnets()[i], lan.moreSubnets()[i + 1], hostIp,
                hostMac, lan.icc(), true, lan.mtu()));
        }
    }

    private static String parentName(final String iface, final int vid)
    {
        return vid == 0 ? iface : iface + "." + vid;
    }

    private AfPacketPort openParent(final String iface)
    {
        final AfPacketPort port;
        try
        {
            port = AfPacketPort.open(owner.freePortId(), iface);
        }
        catch (final IOException | IllegalArgumentException e)
        {
            throw new BerthException("parent " + iface + " cannot be used: " + (Iproute.exists(iface)
                ? e.getMessage() : "no interface " + iface + " in berthd's namespace") +
                " (give an Ethernet interface there: ip link lists them)");
        }
        try
        {
            await(pipeline.portCommands().attach(port, parentMtu(iface)));
        }
        catch (final RuntimeException e)
        {
            port.close();
            throw e;
        }
        return port;
    }

    private static int parentMtu(final String iface)
    {
        return Iproute.mtu(iface);
    }

    /** Detaches a parent from the worker and closes its socket: the kernel drops its promiscuous membership. */
    private void closeParent(final AfPacketPort parent)
    {
        try
        {
            await(pipeline.portCommands().detach(parent));
        }
        finally
        {
            parent.close();
        }
    }

    void remove(final int segmentId)
    {
        final Lan lan = lans.remove(segmentId);
        if (lan == null)
        {
            return;
        }
        if (lan.port() != null)
        {
            await(pipeline.detachLanPort(lan.port(), lan.parent()));
        }
        for (int i = 0; i + 1 < lan.spec().moreSubnets().length; i += 2)
        {
            Iproute.deleteRoute(lan.spec().moreSubnets()[i], lan.spec().moreSubnets()[i + 1]);
        }
        owner.removeSegment(segmentId);
        final String iface = lan.spec().parent();
        if (iface != null && lans.values().stream().noneMatch(other -> iface.equals(other.spec().parent())))
        {
            final AfPacketPort parent = parents.remove(iface);
            if (parent != null)
            {
                closeParent(parent);
            }
        }
    }

    long sharedMac(final int segmentId)
    {
        final Lan lan = lans.get(segmentId);
        if (lan == null)
        {
            throw new IllegalStateException("no LAN segment " + segmentId);
        }
        return lan.sharedMac();
    }
}
