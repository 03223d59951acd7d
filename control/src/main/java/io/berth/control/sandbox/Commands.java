package io.berth.control.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short system commands (ip, kill) and turns a failure into an IOException carrying their stderr. Stateless. */
public final class Commands
{
    private static final long TIMEOUT_SECONDS = 30;

    private Commands()
    {
    }

    /** Runs the command to completion and returns its stdout; throws with its output when it fails. */
    public static String run(final List<String> command) throws IOException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        final byte[] output = process.getInputStream().readAllBytes();
        try
        {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": timed out");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + ": interrupted", ex);
        }
        final String text = new String(output, StandardCharsets.UTF_8).trim();
        if (process.exitValue() != 0)
        {
            throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + ")" +
                (text.isEmpty() ? "" : ": " + text));
        }
        return text;
    }
}
