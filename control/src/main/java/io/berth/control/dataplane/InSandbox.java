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

    /** Like {@link #run}, in the namespace whose file is {@code nsPath} (a runtime's, not under /run/netns). */
    public static <T> T runAt(final String nsPath, final Action<T> action) throws IOException
    {
        return NetNamespace.runAt(nsPath, action::run);
    }

    /** The namespace file of sandbox {@code name}. */
    public static String pathOf(final String name)
    {
        return NetNamespace.NETNS_RUN_DIR + name;
    }
}
