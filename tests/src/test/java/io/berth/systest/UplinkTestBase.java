package io.berth.systest;

import java.util.List;

/**
 * Like {@link SystemTestBase}, with an uplink: one berthd and one outside namespace per test class
 * ({@link Uplink}).
 */
abstract class UplinkTestBase extends SystemTestBase
{
    /** The outside namespace (10.99.0.2), joined to berthd's uplink (10.99.0.1). */
    protected String outside;

    /** berthd options a test class needs beyond the uplink's. */
    protected List<String> moreBerthdArgs()
    {
        return List.of();
    }

    /** The uplink's MTU, set before berthd starts; 0 leaves the veth's 1500. */
    protected int uplinkMtu()
    {
        return 0;
    }

    @Override
    protected BerthHost startHost()
    {
        final BerthHost started = Uplink.start(moreBerthdArgs(), uplinkMtu());
        outside = Uplink.outside(started);
        return started;
    }
}
