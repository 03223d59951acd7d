package io.berth.systest;

/**
 * One berthd host per test class ({@link TopologyTestBase}); a class that needs more around it (a LAN, an
 * upstream DNS server) overrides {@link #startHost()}.
 */
abstract class SystemTestBase extends TopologyTestBase<BerthHost>
{
    protected BerthHost host;

    /** The host this class runs on. */
    protected BerthHost startHost()
    {
        return BerthHost.start();
    }

    @Override
    protected final BerthHost startTopology()
    {
        host = startHost();
        return host;
    }
}
