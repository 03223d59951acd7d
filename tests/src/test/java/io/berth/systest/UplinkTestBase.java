package io.berth.systest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.util.List;

/**
 * Like {@link SystemTestBase}, with an uplink: one berthd and one outside namespace per test class
 * ({@link Uplink}); after each test the containers, networks and background processes it made are removed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class UplinkTestBase
{
    protected BerthHost host;
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

    @BeforeAll
    void startHost()
    {
        host = Uplink.start(moreBerthdArgs(), uplinkMtu());
        outside = Uplink.outside(host);
    }

    @AfterEach
    void resetHost()
    {
        if (host != null && host.running())
        {
            host.reset();
        }
    }

    @AfterAll
    void closeHost()
    {
        if (host != null)
        {
            host.close();
        }
    }
}
