package io.berth.control.client;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.io.BufferedInputStream;
import java.nio.file.Files;
import java.util.ArrayList;

/**
 * One served call: a JSON request line out, then berthd's answer as frames until the exit code. Used on the
 * client's main thread.
 *
 * <pre>
 *  frame:  +------+----------------+-------------------+
 *          | kind | length (int32) | payload           |
 *          +------+----------------+-------------------+
 *  kind 'o': bytes for stdout     kind 'e': bytes for stderr
 *  kind 'x': exit code (payload int32), the last frame
 *  kind 'd': berthd does not serve this command here: run the full CLI (the last frame)
 *  kind 'r': run this command here, on the user's terminal, and exit with its code (NUL-separated argv; the
 *            last frame): berth exec
 * </pre>
 * A berthd without served calls answers a JSON line instead (its first byte is '{'): treated as 'd'.
 */
public final class ServedCall
{
    public static final byte STDOUT = 'o';
    public static final byte STDERR = 'e';
    public static final byte EXIT = 'x';
    public static final byte DELEGATE = 'd';
    public static final byte RUN = 'r';

    /** What {@link #run} returns when the full CLI has to run the command. */
    public static final int DELEGATED = -1;

    /** berthd could not be reached: nothing was sent, so the full CLI may try (and say why). */
    public static final class UnreachableException extends IOException
    {
        UnreachableException(final IOException cause)
        {
            super(cause.getMessage(), cause);
        }
    }

    private ServedCall()
    {
    }

    /**
     * This process's pid, for berthd to find the caller's mount namespace. From /proc/self: ProcessHandle's
     * initialisation spins lambdas, which costs a short-lived JVM about 10 ms.
     */
    public static long pid()
    {
        try
        {
            return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/self")).toString());
        }
        catch (final IOException | NumberFormatException ex)
        {
            return ProcessHandle.current().pid();
        }
    }

    /** The socket: {@code BERTH_SOCKET}, else berthd's default. */
    public static Path defaultSocket()
    {
        final String env = System.getenv("BERTH_SOCKET");
        return Path.of(env == null || env.isEmpty() ? "/run/berth/berthd.sock" : env);
    }

    /**
     * Sends {@code requestJson} and copies the answer's frames to {@code out} and {@code err}.
     *
     * @return the exit code, or {@link #DELEGATED}.
     * @throws UnreachableException when berthd cannot be reached (nothing was sent).
     * @throws IOException          when berthd breaks off: the command may have run, so it must not run again.
     */
    public static int run(final Path socket, final String requestJson, final PrintStream out, final PrintStream err)
        throws IOException
    {
        final List<String> command = new ArrayList<>();
        final int code = call(socket, requestJson, out, err, command);
        if (command.isEmpty())
        {
            return code;
        }
        // the connection is closed by now: berthd holds nothing while the command runs
        try
        {
            return new ProcessBuilder(command).inheritIO().start().waitFor();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private static int call(final Path socket, final String requestJson, final PrintStream out, final PrintStream err,
        final List<String> command) throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            try
            {
                channel.connect(UnixDomainSocketAddress.of(socket));
            }
            catch (final IOException ex)
            {
                throw new UnreachableException(ex);
            }
            final OutputStream request = Channels.newOutputStream(channel);
            request.write((requestJson + "\n").getBytes(StandardCharsets.UTF_8));
            request.flush();
            final DataInputStream in = new DataInputStream(new BufferedInputStream(
                Channels.newInputStream(channel)));
            boolean first = true;
            while (true)
            {
                final int kind = in.read();
                if (kind < 0)
                {
                    throw new EOFException("berthd closed the connection before the exit code");
                }
                if (first && kind == '{')
                {
                    return DELEGATED; // an older berthd: a JSON refusal of the unknown op
                }
                first = false;
                final int length = in.readInt();
                if (length < 0 || length > 64 << 20)
                {
                    throw new IOException("malformed frame from berthd (length " + length + ")");
                }
                final byte[] payload = in.readNBytes(length);
                if (payload.length != length)
                {
                    throw new EOFException("berthd closed the connection inside a frame");
                }
                switch (kind)
                {
                    case STDOUT -> out.write(payload, 0, payload.length);
                    case STDERR -> err.write(payload, 0, payload.length);
                    case EXIT ->
                    {
                        out.flush();
                        err.flush();
                        return ((payload[0] & 0xff) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8) |
                            (payload[3] & 0xff);
                    }
                    case DELEGATE ->
                    {
                        return DELEGATED;
                    }
                    case RUN ->
                    {
                        out.flush();
                        err.flush();
                        for (final String arg : new String(payload, StandardCharsets.UTF_8).split("\0", -1))
                        {
                            command.add(arg);
                        }
                        return 0;
                    }
                    default -> throw new IOException("malformed frame from berthd (kind " + kind + ")");
                }
                out.flush();
                err.flush();
            }
        }
    }

    /** Writes one frame (berthd's side). */
    public static void writeFrame(final OutputStream out, final byte kind, final byte[] payload) throws IOException
    {
        final byte[] header = {kind, (byte)(payload.length >>> 24), (byte)(payload.length >>> 16),
            (byte)(payload.length >>> 8), (byte)payload.length};
        out.write(header);
        out.write(payload);
        out.flush();
    }

    /** The exit frame's payload. */
    public static byte[] exitPayload(final int code)
    {
        return new byte[] {(byte)(code >>> 24), (byte)(code >>> 16), (byte)(code >>> 8), (byte)code};
    }

    /** A JSON string literal. */
    public static String quote(final String text)
    {
        final StringBuilder json = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        json.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"').toString();
    }

    /** A JSON array of strings. */
    public static String array(final List<String> values)
    {
        final StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++)
        {
            json.append(i == 0 ? "" : ",").append(quote(values.get(i)));
        }
        return json.append(']').toString();
    }

    /** A JSON object of strings, in the map's order. */
    public static String object(final Map<String, String> values)
    {
        final StringBuilder json = new StringBuilder("{");
        values.forEach((key, value) -> json.append(json.length() == 1 ? "" : ",").append(quote(key)).append(':')
            .append(quote(value)));
        return json.append('}').toString();
    }

    /** All of stdin. */
    public static String readAll(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        in.transferTo(bytes);
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
