package io.berth.dataplane;

import java.util.ArrayList;
import java.util.List;

/**
 * Reports every registered port as ready on every poll: for in-memory ports, tests and benchmarks, where the
 * worker runs deterministically on the caller's thread. Owned by the worker thread.
 */
public final class BusyPoller implements Poller
{
    private final List<Port> ports = new ArrayList<>();

    @Override
    public void register(final Port port)
    {
        ports.add(port);
    }

    @Override
    public void unregister(final Port port)
    {
        ports.remove(port);
    }

    @Override
    public int poll(final int timeoutMs, final ReadyHandler handler)
    {
        for (int i = 0, n = ports.size(); i < n; i++)
        {
            handler.onReady(ports.get(i));
        }
        return ports.size();
    }

    @Override
    public void wakeup()
    {
    }

    @Override
    public void close()
    {
    }
}
