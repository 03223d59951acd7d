package io.berth.control.driver.none;

import io.berth.control.BerthException;
import io.berth.control.driver.NetworkDriver;
import io.berth.control.driver.Scope;
import io.berth.control.state.Endpoint;
import io.berth.control.state.Network;

import java.util.List;
import java.util.Map;

/**
 * {@code --network none}: the container gets its own namespace with only {@code lo}. One pre-defined network, no
 * endpoints, no addresses, nothing in the dataplane. Control thread.
 */
public final class NullDriver implements NetworkDriver
{
    public static final String NAME = "null";

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public Scope scope()
    {
        return Scope.LOCAL;
    }

    @Override
    public Attachment attachment()
    {
        return Attachment.ISOLATED;
    }

    @Override
    public boolean userCreatable()
    {
        return false;
    }

    @Override
    public boolean externalConnectivity()
    {
        return false;
    }

    @Override
    public Map<String, String> parseOptions(final List<String> options)
    {
        if (options != null && !options.isEmpty())
        {
            throw new BerthException("the null driver takes no options (given: " + String.join(", ", options) + ")");
        }
        return Map.of();
    }

    @Override
    public void createNetwork(final Network network)
    {
    }

    @Override
    public void deleteNetwork(final Network network)
    {
    }

    @Override
    public int join(final Network network, final String sandbox, final Endpoint endpoint, final boolean defaultRoute,
        final boolean restore)
    {
        throw new BerthException("cannot connect a container to the " + network.name() + " network; connect it to " +
            "a bridge network");
    }

    @Override
    public void leave(final Network network, final Endpoint endpoint, final int handle)
    {
    }
}
