package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Predicate;

/** A connection to berthd's API, used by the CLI (one thread). */
public final class ApiClient implements AutoCloseable
{
    /** berthd is not there: no socket file, or nobody listening on it. */
    public static final class UnreachableException extends BerthException
    {
        UnreachableException(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }

    /** One streamed answer line, with the raw bytes that followed it when the line announced them. */
    public interface FrameHandler
    {
        /** @return false to end the stream. */
        boolean onFrame(JsonNode line, byte[] payload);
    }

    /** The field of a streamed line that announces raw bytes after it. */
    public static final String RAW_BYTES = "raw_bytes";

    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    // The answer is read by hand, not through a Reader: a streamed capture sends raw packet bytes between its lines.
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;

    private ApiClient(final SocketChannel channel)
    {
        this.channel = channel;
        this.in = Channels.newInputStream(channel);
        this.out = Channels.newOutputStream(channel);
    }

    public static ApiClient connect(final Path socketPath)
    {
        try
        {
            final SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try
            {
                channel.connect(UnixDomainSocketAddress.of(socketPath));
            }
            catch (final IOException ex)
            {
                channel.close();
                throw ex;
            }
            return new ApiClient(channel);
        }
        catch (final IOException ex)
        {
            throw new UnreachableException("cannot reach berthd at " + socketPath + " (" + ex.getMessage() + "): " +
                "is it running? Start it with bin/berthd, or point BERTH_SOCKET at its socket", ex);
        }
    }

    /** Sends one request and returns its result; throws {@link BerthException} with berthd's message on refusal. */
    public JsonNode call(final JsonNode request)
    {
        try
        {
            return send(request).path("result");
        }
        catch (final IOException ex)
        {
            throw new BerthException("talking to berthd failed: " + ex.getMessage(), ex);
        }
    }

    /**
     * Sends one streaming request and hands every line of the answer to {@code onLine} until it returns false or
     * berthd ends the stream; the first line's refusal is thrown as {@link BerthException}.
     */
    public void stream(final JsonNode request, final Predicate<JsonNode> onLine)
    {
        stream(request, false, (line, payload) -> onLine.test(line));
    }

    /**
     * As {@link #stream(JsonNode, java.util.function.Predicate)}, for answers whose lines may announce raw bytes
     * (a capture's packets): a line with {@code "raw_bytes": N} is followed by N bytes, handed over with it;
     * otherwise the payload is null.
     */
    public void streamWithPayloads(final JsonNode request, final FrameHandler onFrame)
    {
        stream(request, true, onFrame);
    }

    private void stream(final JsonNode request, final boolean payloads, final FrameHandler onFrame)
    {
        try
        {
            send(request);
            for (String line; (line = readLine()) != null; )
            {
                final JsonNode node = Json.WIRE.readTree(line);
                final JsonNode announced = payloads ? node.get(RAW_BYTES) : null;
                final byte[] payload = announced == null ? null : readPayload(announced.asInt(-1));
                if (!onFrame.onFrame(node, payload))
                {
                    return;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new BerthException("talking to berthd failed: " + ex.getMessage(), ex);
        }
    }

    /** Writes the request, reads the first answer line, and throws berthd's refusal. */
    private JsonNode send(final JsonNode request) throws IOException
    {
        out.write((Json.WIRE.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        final String line = readLine();
        if (line == null)
        {
            throw new BerthException("berthd closed the connection without answering");
        }
        final JsonNode response = Json.WIRE.readTree(line);
        if (!response.path("ok").asBoolean(false))
        {
            throw new BerthException(response.path("error").asText("berthd refused the request"));
        }
        return response;
    }

    /** The next line without its newline, or null at the end of the stream. */
    private String readLine() throws IOException
    {
        ByteArrayOutputStream longLine = null;
        while (true)
        {
            for (int i = position; i < limit; i++)
            {
                if (buffer[i] == '\n')
                {
                    final String line;
                    if (longLine == null)
                    {
                        line = new String(buffer, position, i - position, StandardCharsets.UTF_8);
                    }
                    else
                    {
                        longLine.write(buffer, position, i - position);
                        line = longLine.toString(StandardCharsets.UTF_8);
                    }
                    position = i + 1;
                    return line;
                }
            }
            if (limit > position)
            {
                if (longLine == null)
                {
                    longLine = new ByteArrayOutputStream(2 * (limit - position));
                }
                longLine.write(buffer, position, limit - position);
            }
            position = 0;
            limit = Math.max(0, in.read(buffer));
            if (limit == 0)
            {
                if (longLine != null && longLine.size() > 0)
                {
                    throw new EOFException("berthd ended the answer in the middle of a line");
                }
                return null;
            }
        }
    }

    private byte[] readPayload(final int length) throws IOException
    {
        if (length < 0 || length > 1 << 24)
        {
            throw new IOException("berthd announced " + length + " bytes, more than a frame holds");
        }
        final byte[] payload = new byte[length];
        int filled = Math.min(length, limit - position);
        System.arraycopy(buffer, position, payload, 0, filled);
        position += filled;
        while (filled < length)
        {
            final int n = in.read(payload, filled, length - filled);
            if (n < 0)
            {
                throw new EOFException("berthd ended the answer " + (length - filled) + " bytes short of a frame");
            }
            filled += n;
        }
        return payload;
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // nothing left to send
        }
    }
}
