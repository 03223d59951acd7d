package io.berth.control.driver.ipvlan;

import io.berth.control.BerthException;
import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.LanSegmentSpec;
import io.berth.control.driver.LanDriver;
import io.berth.control.driver.ParentInterface;
import io.berth.control.driver.SegmentIds;
import io.berth.control.state.Network;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's ipvlan driver where the kernel has none (this machine's has no IPVLAN): in L2 mode every container's eth0
 * carries the parent's MAC, berth answers ARP for the containers' addresses with it and delivers what arrives for
 * that MAC by destination address, so the LAN sees one MAC for all of them. Options: {@code parent=IFACE[.VID]},
 * {@code ipvlan_mode=l2}, {@code ipvlan_flag=bridge|private} (private: containers of the network cannot reach each
 * other, only the LAN). Control thread.
 */
public final class IpvlanDriver extends LanDriver
{
    public static final String NAME = "ipvlan";
    private static final String MODE = "ipvlan_mode";
    private static final String FLAG = "ipvlan_flag";
    private static final String VALID = "valid options: parent=IFACE[.VID] (VID 1.." + ParentInterface.MAX_VID +
        "), ipvlan_mode=l2, ipvlan_flag=bridge|private";

    public IpvlanDriver(final Dataplane dataplane, final SegmentIds segmentIds)
    {
        super(dataplane, segmentIds);
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    protected LanSegmentSpec.Mode mode(final Network network)
    {
        return LanSegmentSpec.Mode.IPVLAN_L2;
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
        for (final String option : options == null ? List.<String>of() : options)
        {
            final int equals = option.indexOf('=');
            if (equals <= 0)
            {
                throw new BerthException("invalid option \"" + option + "\": expected KEY=VALUE; " + VALID);
            }
            final String key = option.substring(0, equals);
            final String value = option.substring(equals + 1);
            switch (key)
            {
                case PARENT -> parent = ParentInterface.parse(value).toString();
                case MODE ->
                {
                    if (value.equals("l3") || value.equals("l3s"))
                    {
                        throw new BerthException("ipvlan_mode " + value + " is not supported yet: berth's ipvlan " +
                            "networks have l2 mode (ipvlan_mode=l2)");
                    }
                    if (!value.equals("l2"))
                    {
                        throw new BerthException("invalid ipvlan_mode " + value + ": expected l2");
                    }
                    mode = value;
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
        return normalised;
    }
}
