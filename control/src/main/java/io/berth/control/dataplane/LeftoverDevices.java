package io.berth.control.dataplane;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Devices a crash can leave behind, found and deleted at a restart: a container's TAP made in berthd's namespace
 * and never moved (or the veth end of its AF_XDP port), and TAPs still under their temporary name in a sandbox.
 * Control thread.
 */
final class LeftoverDevices
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.dataplane");

    private LeftoverDevices()
    {
    }

    /** Whether {@code device} is in berthd's own namespace; false when that cannot be told. */
    static boolean exists(final String device)
    {
        try
        {
            return Iproute.linkExists(null, device);
        }
        catch (final IOException e)
        {
            return false;
        }
    }

    /** Deletes {@code device} and, for a container's device name, its AF_XDP port's veth end; nothing if absent. */
    static void remove(final String device)
    {
        try
        {
            if (Iproute.linkExists(null, device))
            {
                Iproute.deleteLink(device);
            }
            final String xdpEnd = ContainerPorts.xdpEnd(device);
            if (xdpEnd != null && Iproute.linkExists(null, xdpEnd))
            {
                Iproute.deleteLink(xdpEnd);
            }
        }
        catch (final IOException e)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot delete leftover device " + device + ": " + e.getMessage());
        }
    }

    /** Deletes the TAPs in {@code netns} (null: berthd's) that still have their temporary name; their names. */
    static List<String> removeStrayTaps(final String netns)
    {
        final List<String> removed = new ArrayList<>();
        try
        {
            for (final String device : Iproute.temporaryTaps(netns))
            {
                Iproute.deleteLink(netns, device);
                removed.add(device);
            }
        }
        catch (final IOException e)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot look for stray TAPs in " +
                (netns == null ? "berthd's namespace" : netns) + ": " + e.getMessage());
        }
        return removed;
    }
}
