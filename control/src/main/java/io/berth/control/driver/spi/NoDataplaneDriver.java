package io.berth.control.driver.spi;

import io.berth.control.error.BerthException;
import io.berth.control.event.Scope;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;

import java.util.List;
import java.util.Map;

/**
 * The shape of the pre-defined drivers whose networks hold nothing in the dataplane and have no endpoints (host,
 * null): local, not creatable by users, no options, no outside connectivity of their own. A subclass says only
 * its name and what a container on its network gets. Control thread.
 */
public abstract class NoDataplaneDriver implements NetworkDriver
{
    private final Capabilities capabilities;

    protected NoDataplaneDriver(final String name, final Attachment attachment)
    {
        if (attachment == Attachment.ENDPOINT)
        {
            throw new IllegalArgumentException("a driver without dataplane state has no endpoints");
        }
        this.capabilities = new Capabilities(name, Scope.LOCAL, attachment, false, false, false);
    }

    @Override
    public final Capabilities capabilities()
    {
        return capabilities;
    }

    @Override
    public final Map<String, String> parseOptions(final List<String> options)
    {
        if (options != null && !options.isEmpty())
        {
            throw new BerthException("the " + capabilities.name() + " driver takes no options (given: " + String.join(", ", options) + ")");
        }
        return Map.of();
    }

    @Override
    public final void createNetwork(final Network network)
    {
    }

    @Override
    public final void deleteNetwork(final Network network)
    {
    }

    @Override
    public final int join(final Network network, final String sandbox, final Endpoint endpoint,
        final boolean defaultRoute, final boolean restore)
    {
        throw new BerthException("cannot connect a container to the " + network.name() + " network; connect it to " +
            "a bridge network");
    }

    @Override
    public final void leave(final Network network, final Endpoint endpoint, final int handle)
    {
    }
}
