package io.berth.control.proxy;

import java.io.IOException;

/** Starts and stops userland forwards (docker-proxy's job). Called from the control thread. */
public interface Forwarders
{
    /** Forwards nothing: for a control plane without proxies (tests, tools). */
    Forwarders NONE = new Forwarders()
    {
        @Override
        public void open(final Forward forward)
        {
        }

        @Override
        public void close(final Forward forward)
        {
        }
    };

    /**
     * Binds the listen address and starts relaying; returns once the socket is bound.
     *
     * @throws IOException naming the address when it cannot be bound (in use, no such address); nothing is left
     *                     behind then.
     */
    void open(Forward forward) throws IOException;

    /** Stops listening and closes every connection of this forward; nothing when it is not open. */
    void close(Forward forward);
}
