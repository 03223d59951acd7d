package io.berth.control.dataplane;

import io.berth.tap.NetNamespace;

import java.io.IOException;

/**
 * The one way for control code outside this package to open something inside a sandbox's network namespace (the
 * embedded DNS's sockets): the calling thread enters it with setns, runs the action and comes back; what the
 * action opened stays in the sandbox. Control thread.
 */
public final class InSandbox
{
    /** Code to run inside the sandbox. */
    @FunctionalInterface
    public interface Action<T>
    {
        T run() throws IOException;
    }

    private InSandbox()
    {
    }

    public static <T> T run(final String sandbox, final Action<T> action) throws IOException
    {
        return NetNamespace.run(sandbox, action::run);
    }
}
