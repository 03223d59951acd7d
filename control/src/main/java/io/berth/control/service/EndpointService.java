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
}
