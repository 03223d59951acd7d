package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;

/**
 * One {@link OverlayLab} per test class ({@link TopologyTestBase}): each test's containers and networks removed
 * after it (containers first on every host, since a global network is refused while any host has some).
 * Test thread.
 */
abstract class OverlayLabTestBase extends TopologyTestBase<OverlayLab>
{
    protected static final Duration SEEN = Duration.ofSeconds(10);
    protected OverlayLab lab;

    /** The lab this class runs on (how many hosts, which etcd). */
    protected abstract OverlayLab startLab();

    @Override
    protected final OverlayLab startTopology()
    {
        lab = startLab();
        return lab;
    }

    protected static boolean ping(final String fromNs, final String ip)
    {
        return BerthHost.inNs(Duration.ofSeconds(10), fromNs, "ping", "-c", "1", "-W", "1", ip).ok();
    }

    /** The address of {@code container}'s first (or only) network. */
    protected static String ipOf(final BerthHost host, final String container)
    {
        final JsonNode networks = host.inspect(container).path("NetworkSettings").path("Networks");
        return networks.elements().next().path("IPAddress").asText();
    }

    protected static String ipOf(final BerthHost host, final String container, final String network)
    {
        return host.inspect(container).path("NetworkSettings").path("Networks").path(network).path("IPAddress")
            .asText();
    }
}
