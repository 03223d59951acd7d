package io.berth.control.dataplane;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** STUB: being written (TAP ports into the userspace L2 switch). Same constructor and contract will stay. */
public final class UserspaceDataplane implements Dataplane
{
    public UserspaceDataplane(final Path stateDir)
    {
    }

    @Override
    public void start()
    {
    }

    @Override
    public void addNetwork(final NetworkSpec network)
    {
    }

    @Override
    public void removeNetwork(final int networkId)
    {
    }

    @Override
    public int attachEndpoint(final EndpointSpec endpoint, final boolean reattach) throws IOException
    {
        throw new IOException("dataplane not implemented yet");
    }

    @Override
    public void detachEndpoint(final int portId)
    {
    }

    @Override
    public Map<String, Object> counters()
    {
        return Map.of();
    }

    @Override
    public void close()
    {
    }
}
