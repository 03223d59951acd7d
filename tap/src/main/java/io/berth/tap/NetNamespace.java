package io.berth.tap;

import java.io.IOException;

/**
 * Runs code on the calling thread inside a named network namespace ({@code /var/run/netns/NAME}, as created by
 * {@code ip netns add}) and always switches the thread back afterwards. Static; any thread, control path only.
 * <p>
 * setns(2) moves only the calling thread, and only the namespace lookups made during the call are affected: an fd
 * opened inside (a TAP attached with TUNSETIFF, a socket) stays bound to that namespace's objects after the switch
 * back. That is how berthd re-attaches to a persistent {@code eth0} already living in a sandbox after a restart.
 * Do not start threads or block on other threads' work inside the action: they would not share the namespace.
 */
public final class NetNamespace
{
    /** Where {@code ip netns} bind-mounts named namespaces. */
    public static final String NETNS_RUN_DIR = "/var/run/netns/";
    private static final String SELF = "/proc/thread-self/ns/net";

    /** Code to run inside a namespace. */
    @FunctionalInterface
    public interface Action<T>
    {
        T run() throws IOException;
    }

    private NetNamespace()
    {
    }

    /** {@link #run(String, Action)} with a namespace file path instead of a name (e.g. {@code /proc/PID/ns/net}). */
    public static <T> T runAt(final String nsPath, final Action<T> action) throws IOException
    {
        final int original = Natives.open(SELF, Natives.O_RDONLY | Natives.O_CLOEXEC);
        try
        {
            final int target = Natives.open(nsPath, Natives.O_RDONLY | Natives.O_CLOEXEC);
            try
            {
                Natives.setns(target, Natives.CLONE_NEWNET, nsPath);
            }
            finally
            {
                Natives.close(target);
            }
            final T result;
            try
            {
                result = action.run();
            }
            catch (final Throwable t)
            {
                try
                {
                    restore(original);
                }
                catch (final IllegalStateException stuck)
                {
                    stuck.addSuppressed(t); // the stuck thread is the bigger problem; keep the cause visible
                    throw stuck;
                }
                throw t;
            }
            restore(original);
            return result;
        }
        finally
        {
            Natives.close(original);
        }
    }

    /**
     * Runs {@code action} inside {@code /var/run/netns/NAME} and returns its result.
     *
     * @throws IOException from opening or entering the namespace, or from the action.
     * @throws IllegalStateException if the thread could not be switched back (it is then unsafe to keep using).
     */
    public static <T> T run(final String name, final Action<T> action) throws IOException
    {
        if (name.isEmpty() || name.indexOf('/') >= 0 || name.equals(".") || name.equals(".."))
        {
            throw new IllegalArgumentException("bad network namespace name: " + name);
        }
        return runAt(NETNS_RUN_DIR + name, action);
    }

    private static void restore(final int original)
    {
        try
        {
            Natives.setns(original, Natives.CLONE_NEWNET, SELF);
        }
        catch (final IOException e)
        {
            // Leaving the thread in the sandbox would silently point later device and socket work at it.
            throw new IllegalStateException("could not return thread " + Thread.currentThread().getName()
                + " to its network namespace", e);
        }
    }
}
