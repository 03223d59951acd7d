package io.berth.benchmarks;

import io.berth.tap.TapPort;

/**
 * A TAP whose kernel side lives in a namespace made for one benchmark run, and removed with it: the device is
 * moved there and brought up, then the caller's setup commands run. The main thread of a benchmark.
 */
final class TapInNamespace
{
    /** What the benchmark does with the TAP's fd, its device name and the namespace's name. */
    @FunctionalInterface
    interface Use
    {
        void with(int fd, String device, String namespace) throws Exception;
    }

    private TapInNamespace()
    {
    }

    /** Makes namespace and TAP (both named {@code prefix} + this pid), runs {@code use}, removes both. */
    static void run(final String prefix, final Use use) throws Exception
    {
        final String name = prefix + ProcessHandle.current().pid();
        command("ip", "netns", "add", name);
        try
        {
            final TapPort tap = TapPort.open(0, name, false);
            try
            {
                command("ip", "link", "set", "dev", tap.name(), "netns", name);
                command("ip", "-n", name, "link", "set", "dev", tap.name(), "up");
                use.with(tap.fd(), tap.name(), name);
            }
            finally
            {
                tap.close();
            }
        }
        finally
        {
            command("ip", "netns", "del", name);
        }
    }

    static void command(final String... command) throws Exception
    {
        final Process p = new ProcessBuilder(command).inheritIO().start();
        if (p.waitFor() != 0)
        {
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
    }
}
