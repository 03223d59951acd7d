package io.berth.control.driver.macvlan;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.LanSegmentSpec;
import io.berth.control.driver.spi.LanDriver;
import io.berth.control.driver.spi.ParentInterface;
import io.berth.control.driver.spi.SegmentIds;
import io.berth.control.error.BerthException;
import io.berth.control.model.Network;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's macvlan driver without a kernel macvlan device: containers on the parent's LAN, each with a MAC of its own
 * (02:42 and its address), switched in berth's dataplane; containers of one network reach each other inside berth.
 * Options: {@code parent=IFACE[.VID]} and {@code macvlan_mode=bridge} (the one mode berth has). Control thread.
 */
public final class MacvlanDriver extends LanDriver
{
    public static final String NAME = "macvlan";
    private static final String MODE = "macvlan_mode";
    private static final String VALID = "valid options: parent=IFACE[.VID] (VID 1.." + ParentInterface.MAX_VID +
        "), macvlan_mode=bridge";

    public MacvlanDriver(final Dataplane dataplane, final SegmentIds segmentIds)
    {
        super(NAME, dataplane, segmentIds);
    }

    @Override
    protected LanSegmentSpec.Mode mode(final Network network)
    {
        return LanSegmentSpec.Mode.MACVLAN;
    }

    @Override
    public Map<String, String> parseOptions(final List<String> options)
    {
        String parent = null;
        String mode = "bridge";
        for (final Map.Entry<String, String> option : keyValues(options, VALID))
        {
            final String key = option.getKey();
            final String value = option.getValue();
            switch (key)
            {
                case PARENT -> parent = ParentInterface.parse(value).toString();
                case MODE ->
                {
                    if (!value.equals("bridge"))
                    {
                        throw new BerthException("macvlan_mode " + value + " is not supported: berth's macvlan " +
                            "networks have bridge mode only (macvlan_mode=bridge)");
                    }
                    mode = value;
                }
                default -> throw new BerthException("unknown option \"" + key + "\" for a macvlan network; " + VALID);
            }
        }
        final Map<String, String> normalised = new LinkedHashMap<>();
        if (parent != null)
        {
            normalised.put(PARENT, parent);
        }
        normalised.put(MODE, mode);
        return normalised;
    }
}
