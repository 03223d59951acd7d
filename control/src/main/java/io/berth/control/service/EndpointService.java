package io.berth.control.service;

import java.io.IOException;

/**
 * Something that follows endpoints: told when one joins a network (after its port is up) and when it leaves
 * (before its port goes). The 127.0.0.1 port proxy is one; embedded DNS and the CNI view are the next. A service
 * that cannot serve a joining endpoint throws, and the join is rolled back. Control thread.
 */
public interface EndpointService
{
    String name();

    void joined(EndpointEvent endpoint) throws IOException;

    void left(EndpointEvent endpoint);

    /**
     * Ports were published for an endpoint that had joined without them (Docker programs them after its Join):
     * {@code endpoint.ports()} are the new ones. A service that cannot serve them throws; nothing is published.
     */
    default void published(final EndpointEvent endpoint) throws IOException
    {
    }

    /** The endpoint's ports {@code endpoint.ports()} go; the endpoint stays. */
    default void unpublished(final EndpointEvent endpoint)
    {
    }
}
