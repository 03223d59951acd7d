package io.berth.control.driver;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.driver.bridge.BridgeDriver;
import io.berth.control.driver.host.HostDriver;
import io.berth.control.driver.ipvlan.IpvlanDriver;
import io.berth.control.driver.macvlan.MacvlanDriver;
import io.berth.control.driver.none.NullDriver;
import io.berth.control.driver.overlay.OverlayDriver;
import io.berth.control.driver.spi.DriverRegistry;
import io.berth.control.driver.spi.SegmentIds;

/**
 * The composition root's list of network drivers: the one place that names them all. A new driver is a package
 * under {@code io.berth.control.driver} plus one line here.
 */
public final class Drivers
{
    private Drivers()
    {
    }

    /** bridge, host and null, over {@code dataplane}: what every berthd has. */
    public static DriverRegistry defaults(final Dataplane dataplane)
    {
        return new DriverRegistry()
            .register(new BridgeDriver(dataplane))
            .register(new HostDriver())
            .register(new NullDriver());
    }

    /**
     * Every driver berthd offers: bridge, host, null, overlay, macvlan and ipvlan.
     *
     * @param cluster the overlay's store and VTEP; null when berthd has no store or no uplink, and then
     *                {@code missing} says which flag an overlay needs.
     */
    public static DriverRegistry all(final Dataplane dataplane, final OverlayDriver.Cluster cluster,
        final String missing)
    {
        final SegmentIds segments = new SegmentIds();
        return new DriverRegistry()
            .register(new BridgeDriver(dataplane, segments))
            .register(new HostDriver())
            .register(new NullDriver())
            .register(new OverlayDriver(dataplane, segments, cluster, missing))
            .register(new MacvlanDriver(dataplane, segments))
            .register(new IpvlanDriver(dataplane, segments));
    }
}
