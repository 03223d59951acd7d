package io.berth.control.service;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The registered endpoint services, told in registration order on join and in reverse order on leave. A join
 * that one service refuses is taken back from those told before it, so services never see half a join.
 * Control thread.
 */
public final class Services
{
    private final List<EndpointService> services = new ArrayList<>();

    public Services register(final EndpointService service)
    {
        services.add(service);
        return this;
    }

    public void joined(final EndpointEvent endpoint) throws IOException
    {
        final List<EndpointService> told = new ArrayList<>();
        try
        {
            for (final EndpointService service : services)
            {
                service.joined(endpoint);
                told.add(service);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            for (int i = told.size() - 1; i >= 0; i--)
            {
                told.get(i).left(endpoint);
            }
            throw ex;
        }
    }

    public void left(final EndpointEvent endpoint)
    {
        for (int i = services.size() - 1; i >= 0; i--)
        {
            services.get(i).left(endpoint);
        }
    }

    /** Ports published after the join; a refusal takes them back from the services told before. */
    public void published(final EndpointEvent endpoint) throws IOException
    {
        final List<EndpointService> told = new ArrayList<>();
        try
        {
            for (final EndpointService service : services)
            {
                service.published(endpoint);
                told.add(service);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            for (int i = told.size() - 1; i >= 0; i--)
            {
                told.get(i).unpublished(endpoint);
            }
            throw ex;
        }
    }

    public void unpublished(final EndpointEvent endpoint)
    {
        for (int i = services.size() - 1; i >= 0; i--)
        {
            services.get(i).unpublished(endpoint);
        }
    }

    public List<String> names()
    {
        return services.stream().map(EndpointService::name).toList();
    }
}
