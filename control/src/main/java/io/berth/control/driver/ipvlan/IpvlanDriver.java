package io.berth.control.driver.ipvlan;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.LanSegmentSpec;
import io.berth.control.driver.spi.LanDriver;
import io.berth.control.driver.spi.ParentInterface;
import io.berth.control.driver.spi.SegmentIds;
import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Network;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's ipvlan driver where the kernel has none (this machine's has no IPVLAN): in L2 mode every container's eth0
 * carries the parent's MAC, berth answers ARP for the containers' addresses with it and delivers what arrives for
 * that MAC by destination address, so the LAN sees one MAC for all of them. In L3 mode the containers' eth0 is NOARP
 * with its default route on the link, and berth routes: between the network's subnets (several {@code --subnet}),
 * to the host, and to the LAN from {@code parent_ip}, which it owns there and which the LAN's hosts route the
 * subnets via (the uplink's address when the parent is the uplink). Options: {@code parent=IFACE[.VID]},
 * {@code ipvlan_mode=l2|l3}, {@code ipvlan_flag=bridge|private} (private: containers of the network cannot reach
 * each other, only the LAN), {@code parent_ip=ADDR/PREFIX}. Control thread.
 */
public final class IpvlanDriver extends LanDriver
{
    public static final String NAME = "ipvlan";
    private static final String MODE = "ipvlan_mode";
    private static final String FLAG = "ipvlan_flag";
    private static final String PARENT_IP = "parent_ip";
    private static final String VALID = "valid options: parent=IFACE[.VID] (VID 1.." + ParentInterface.MAX_VID +
        "), ipvlan_mode=l2|l3, ipvlan_flag=bridge|private, parent_ip=ADDR/PREFIX (l3)";

    public IpvlanDriver(final Dataplane dataplane, final SegmentIds segmentIds)
    {
        super(NAME, dataplane, segmentIds);
    }

    @Override
    protected LanSegmentSpec.Mode mode(final Network network)
    {
        return "l3".equals(network.options().get(MODE)) ? LanSegmentSpec.Mode.IPVLAN_L3 : LanSegmentSpec.Mode.IPVLAN_L2;
    }

    @Override
    public boolean takesSeveralSubnets(final Map<String, String> options)
    {
        return true; // L2: each with its --gateway on the LAN; L3: routed by berth
    }

    @Override
    protected int[] routerAddress(final Network network)
    {
        final String text = network.options().get(PARENT_IP);
        if (text == null)
        {
            return null;
        }
        final int slash = text.indexOf('/');
        return new int[] {Ipv4.parse(text.substring(0, slash), PARENT_IP), Integer.parseInt(text.substring(slash + 1))};
    }

    @Override
    protected boolean interContainer(final Network network)
    {
        return !"private".equals(network.options().get(FLAG));
    }

    /** Every container has the parent's MAC (the LAN's neighbour tables show it for each of their addresses). */
    @Override
    public long endpointMac(final Network network, final int ip)
    {
        return dataplane.sharedMac(segmentOf(network));
    }

    @Override
    public Map<String, String> parseOptions(final List<String> options)
    {
        String parent = null;
        String mode = "l2";
        String flag = "bridge";
        String parentIp = null;
        for (final Map.Entry<String, String> option : keyValues(options, VALID))
        {
            final String key = option.getKey();
            final String value = option.getValue();
            switch (key)
            {
                case PARENT -> parent = ParentInterface.parse(value).toString();
                case MODE ->
                {
                    if (value.equals("l3s"))
                    {
                        throw new BerthException("ipvlan_mode l3s is not supported: berth has no iptables to apply " +
                            "to the slaves' traffic; use l2 or l3");
                    }
                    if (!value.equals("l2") && !value.equals("l3"))
                    {
                        throw new BerthException("invalid ipvlan_mode " + value + ": expected l2 or l3");
                    }
                    mode = value;
                }
                case PARENT_IP ->
                {
                    final int slash = value.indexOf('/');
                    if (slash < 0)
                    {
                        throw new BerthException("invalid parent_ip " + value + ": expected ADDR/PREFIX, e.g. " +
                            "192.168.1.5/24 (berth's address on the parent's LAN)");
                    }
                    Ipv4.parse(value.substring(0, slash), PARENT_IP);
                    final String prefix = value.substring(slash + 1);
                    if (!prefix.matches("[0-9]{1,2}") || Integer.parseInt(prefix) < 1 || Integer.parseInt(prefix) > 30)
                    {
                        throw new BerthException("invalid prefix length in parent_ip " + value + ": expected 1..30");
                    }
                    parentIp = value;
                }
                case FLAG ->
                {
                    if (!value.equals("bridge") && !value.equals("private"))
                    {
                        throw new BerthException("ipvlan_flag " + value + " is not supported: expected bridge or " +
                            "private");
                    }
                    flag = value;
                }
                default -> throw new BerthException("unknown option \"" + key + "\" for an ipvlan network; " + VALID);
            }
        }
        final Map<String, String> normalised = new LinkedHashMap<>();
        if (parent != null)
        {
            normalised.put(PARENT, parent);
        }
        normalised.put(MODE, mode);
        normalised.put(FLAG, flag);
        if (parentIp != null)
        {
            if (!mode.equals("l3"))
            {
                throw new BerthException("parent_ip is for ipvlan_mode=l3 (an l2 network's containers are on the LAN " +
                    "themselves)");
            }
            normalised.put(PARENT_IP, parentIp);
        }
        return normalised;
    }
}
