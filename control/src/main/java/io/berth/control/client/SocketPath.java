package io.berth.control.client;

import java.nio.file.Path;

/** Where berthd's API socket is, for berthd and every client alike. Any thread; no state. */
public final class SocketPath
{
    public static final String DEFAULT = "/run/berth/berthd.sock";

    private SocketPath()
    {
    }

    /** The socket both programs use: the option, else $BERTH_SOCKET, else the default. */
    public static Path of(final Path option)
    {
        if (option != null)
        {
            return option;
        }
        final String env = System.getenv("BERTH_SOCKET");
        return Path.of(env == null || env.isEmpty() ? DEFAULT : env);
    }
}
