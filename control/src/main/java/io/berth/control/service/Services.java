package io.berth.control.service;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

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
        tellAll(endpoint, EndpointService::joined, EndpointService::left);
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
        tellAll(endpoint, EndpointService::published, EndpointService::unpublished);
    }

    public void unpublished(final EndpointEvent endpoint)
    {
        for (int i = services.size() - 1; i >= 0; i--)
        {
            services.get(i).unpublished(endpoint);
        }
    }

    /** One step a service takes for an endpoint, which may refuse. */
    @FunctionalInterface
    private interface Step
    {
        void take(EndpointService service, EndpointEvent endpoint) throws IOException;
    }

    /** Tells every service in order; when one refuses, those told before take it back (in reverse order). */
    private void tellAll(final EndpointEvent endpoint, final Step step, final BiConsumer<EndpointService,
        EndpointEvent> undo) throws IOException
    {
        final List<EndpointService> told = new ArrayList<>();
        try
        {
            for (final EndpointService service : services)
            {
                step.take(service, endpoint);
                told.add(service);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            for (int i = told.size() - 1; i >= 0; i--)
            {
                undo.accept(told.get(i), endpoint);
            }
            throw ex;
        }
    }

    public List<String> names()
    {
        return services.stream().map(EndpointService::name).toList();
    }
}
