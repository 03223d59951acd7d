package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.BerthException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

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

    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private ApiClient(final SocketChannel channel)
    {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
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
    public void stream(final JsonNode request, final java.util.function.Predicate<JsonNode> onLine)
    {
        try
        {
            send(request);
            for (String line; (line = in.readLine()) != null; )
            {
                if (!onLine.test(Json.WIRE.readTree(line)))
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
        final String line = in.readLine();
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
