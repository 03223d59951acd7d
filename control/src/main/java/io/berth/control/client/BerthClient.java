package io.berth.control.client;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code berth} as bin/berth starts it first: hands the arguments to berthd, which runs the command and streams
 * its output back. Exits with {@link #RUN_FULL_CLI} when the full CLI has to run it instead: berthd is not
 * reachable (the full CLI says why), or the command works on this side (exec, capture, cni install, ...).
 * Runs on the main thread.
 */
public final class BerthClient
{
    /** bin/berth then execs the full CLI with the same arguments; nothing has been printed. */
    public static final int RUN_FULL_CLI = 213;

    private BerthClient()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(run(args));
    }

    /** @return the exit code, {@link #RUN_FULL_CLI} when nothing was done. */
    static int run(final String[] args)
    {
        final Path socket = socketOption(args);
        if (socket == null)
        {
            return RUN_FULL_CLI; // a malformed --socket: picocli's message
        }
        final String request = "{\"op\":\"cli\",\"clientPid\":" + ServedCall.pid() + ",\"args\":" +
            ServedCall.array(Arrays.asList(args)) + "}";
        int code;
        try
        {
            code = ServedCall.run(socket, request, System.out, System.err);
        }
        catch (final ServedCall.UnreachableException ex)
        {
            code = ServedCall.DELEGATED;
        }
        catch (final IOException ex)
        {
            // berthd went away mid-call: the command may have been done, so it is not tried again
            System.err.println("Error: talking to berthd failed: " + ex.getMessage());
            code = 1;
        }
        return code == ServedCall.DELEGATED ? RUN_FULL_CLI : code;
    }

    /** The root {@code --socket} (before the subcommand), else the default; null when it has no value. */
    static Path socketOption(final String[] args)
    {
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            if (arg.equals("--socket"))
            {
                return i + 1 < args.length ? Path.of(args[i + 1]) : null;
            }
            if (arg.startsWith("--socket="))
            {
                return Path.of(arg.substring("--socket=".length()));
            }
            if (!arg.startsWith("-"))
            {
                break; // the subcommand: its options are its own
            }
        }
        return ServedCall.defaultSocket();
    }
}
