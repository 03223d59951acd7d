package io.berth.control.dataplane;

import io.berth.dataplane.PortCounters;
import io.berth.dataplane.PortWorker;
import io.berth.tap.AfPacketPort;
import io.berth.tap.TapPort;
import io.berth.vxlan.VxlanTunnelPort;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import static io.berth.control.dataplane.UserspaceDataplane.HOST_LINK_DEVICE;

/**
 * Every port of the dataplane by id and by the names users give (a container's {@code sandbox/eth0} or TAP name,
 * {@code uplink}, {@code berth0}, a tunnel's or a LAN port's name, {@code parent/IFACE}), and the lowest id no port
 * has: what capture and trace resolve names with and new ports are numbered by. Control thread;
 * {@link #nameOf} from any thread (capture's writer), since the tables it reads change only on the control thread.
 */
final class PortDirectory
{
    private final ContainerPorts containerPorts;
    private final Map<Integer, VxlanTunnelPort> tunnelPorts;
    private final LanSegments lanSegments;
    private final Supplier<AfPacketPort> uplink;
    private final Supplier<TapPort> hostLink;

    PortDirectory(final ContainerPorts containerPorts, final Map<Integer, VxlanTunnelPort> tunnelPorts,
        final LanSegments lanSegments, final Supplier<AfPacketPort> uplink, final Supplier<TapPort> hostLink)
    {
        this.containerPorts = containerPorts;
        this.tunnelPorts = tunnelPorts;
        this.lanSegments = lanSegments;
        this.uplink = uplink;
        this.hostLink = hostLink;
    }

    private AfPacketPort uplink()
    {
        return uplink.get();
    }

    private TapPort hostLink()
    {
        return hostLink.get();
    }

    int idOf(final String name)
    {
        if (uplink() != null && (name.equals("uplink") || name.equals(uplink().name()) || name.equals("uplink/" + uplink().name())))
        {
            return uplink().id();
        }
        if (hostLink() != null && (name.equals(hostLink().name()) || name.equals(HOST_LINK_DEVICE)))
        {
            return hostLink().id();
        }
        for (final ContainerPorts.Attached attached : containerPorts.all())
        {
            if (attached.port().name().equals(name) || attached.endpoint().deviceName().equals(name)
                || (attached.endpoint().sandbox() + "/" + attached.endpoint().ifName()).equals(name))
            {
                return attached.port().id();
            }
        }
        for (final VxlanTunnelPort tunnel : tunnelPorts.values())
        {
            if (tunnel.name().equals(name))
            {
                return tunnel.id();
            }
        }
        for (final LanSegments.Lan lan : lanSegments.lans.values())
        {
            if (lan.port() != null && lan.port().name().equals(name))
            {
                return lan.port().id();
            }
        }
        for (final AfPacketPort parent : lanSegments.parents.values())
        {
            if (("parent/" + parent.name()).equals(name))
            {
                return parent.id();
            }
        }
        return -1;
    }

    /** For capture records: a port's name by id (any thread; the tables change only on the control thread). */
    String nameOf(final int id)
    {
        if (uplink() != null && uplink().id() == id)
        {
            return "uplink/" + uplink().name();
        }
        if (hostLink() != null && hostLink().id() == id)
        {
            return HOST_LINK_DEVICE;
        }
        final ContainerPorts.Attached attached = containerPorts.get(id);
        if (attached != null)
        {
            return attached.port().name();
        }
        final VxlanTunnelPort tunnel = tunnelPorts.get(id);
        if (tunnel != null)
        {
            return tunnel.name();
        }
        for (final LanSegments.Lan lan : lanSegments.lans.values())
        {
            if (lan.port() != null && lan.port().id() == id)
            {
                return lan.port().name();
            }
        }
        for (final AfPacketPort parent : lanSegments.parents.values())
        {
            if (parent.id() == id)
            {
                return "parent/" + parent.name();
            }
        }
        return "port" + id;
    }

    int freeId()
    {
        int id = 0;
        while (containerPorts.has(id) || tunnelPorts.containsKey(id) || (hostLink() != null && hostLink().id() == id)
            || (uplink() != null && uplink().id() == id) || isLanPortId(id))
        {
            id++;
        }
        return id;
    }

    private boolean isLanPortId(final int id)
    {
        for (final AfPacketPort parent : lanSegments.parents.values())
        {
            if (parent.id() == id)
            {
                return true;
            }
        }
        for (final LanSegments.Lan lan : lanSegments.lans.values())
        {
            if (lan.port() != null && lan.port().id() == id)
            {
                return true;
            }
        }
        return false;
    }

    /** Every port's counters by its name, with the network and the worker of each container port. */
    Map<String, Object> counters(final Map<Integer, SegmentSpec> networks, final PortSharding sharding)
    {
        final Map<String, Object> portCounters = new LinkedHashMap<>();
        for (final ContainerPorts.Attached attached : containerPorts.all())
        {
            final PortCounters counters = attached.port().counters();
            final Map<String, Object> values = new LinkedHashMap<>();
            final SegmentSpec network = networks.get(attached.endpoint().segmentId());
            values.put("network", network == null ? "?" : network.name());
            final PortWorker portWorker = sharding.workerOf(attached.port().id());
            values.put("worker", portWorker == null ? "berth-dataplane" : portWorker.roleName());
            for (int i = 0; i < PortCounters.NAMES.length; i++)
            {
                values.put(PortCounters.NAMES[i], counters.get(i));
            }
            portCounters.put(attached.port().name(), values);
        }
        for (final VxlanTunnelPort tunnel : tunnelPorts.values())
        {
            portCounters.put(tunnel.name(), DataplaneCounters.portValues(tunnel, "tunnel"));
        }
        for (final LanSegments.Lan lan : lanSegments.lans.values())
        {
            if (lan.port() != null)
            {
                portCounters.put(lan.port().name(), DataplaneCounters.portValues(lan.port(), lan.spec().name()));
            }
        }
        for (final AfPacketPort parent : lanSegments.parents.values())
        {
            portCounters.put("parent/" + parent.name(), DataplaneCounters.portValues(parent, "parent"));
        }
        if (hostLink() != null)
        {
            portCounters.put(HOST_LINK_DEVICE, DataplaneCounters.portValues(hostLink(), "host"));
        }
        if (uplink() != null)
        {
            portCounters.put("uplink/" + uplink().name(), DataplaneCounters.portValues(uplink(), "uplink"));
        }
        return portCounters;
    }
}
