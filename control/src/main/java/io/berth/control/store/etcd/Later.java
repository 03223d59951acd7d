package io.berth.control.store.etcd;

/** Runs a task once, a second from now, on a daemon thread of its own: a retry while etcd is away. Any thread. */
public final class Later
{
    private Later()
    {
    }

    public static void inASecond(final String threadName, final Runnable task)
    {
        final Thread retry = new Thread(() ->
        {
            try
            {
                Thread.sleep(1000);
            }
            catch (final InterruptedException e)
            {
                return;
            }
            task.run();
        }, threadName);
        retry.setDaemon(true);
        retry.start();
    }
}
