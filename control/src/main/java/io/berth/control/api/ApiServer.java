package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * The unix-socket API. An acceptor thread takes connections and gives each a reader thread; every request is
 * executed on the control executor (one thread), which owns the state, and the reader waits for its answer. So
 * clients never see a half-applied change, and a stalled client holds up nobody else.
 */
public final class ApiServer implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.api");
    private final Path socketPath;
    private final ExecutorService controlThread;
    private final Function<JsonNode, JsonNode> handler;
    private final ServerSocketChannel server;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;
    private final List<Streamer> streamers = new CopyOnWriteArrayList<>();

    /**
     * An op that answers with a stream of lines instead of one (a capture): run on the client's own thread, which
     * it may hold as long as the stream lasts; the connection closes when it returns.
     */
    public interface Streamer
    {
        boolean streams(String op);

        void stream(JsonNode request, OutputStream out) throws IOException;
    }

    /** Adds a handler of streaming ops (before {@link #start()}); the first that {@code streams} an op serves it. */
    public void streamer(final Streamer streamer)
    {
        streamers.add(streamer);
    }

    /** The streamers as one. */
    private final Streamer streamer = new Streamer()
    {
        @Override
        public boolean streams(final String op)
        {
            return streamers.stream().anyMatch(s -> s.streams(op));
        }

        @Override
        public void stream(final JsonNode request, final OutputStream out) throws IOException
        {
            final String op = request.path("op").asText();
            for (final Streamer s : streamers)
            {
                if (s.streams(op))
                {
                    s.stream(request, out);
                    return;
                }
            }
        }
    };

    /**
     * Binds the socket (refusing when another berthd answers on it, replacing a stale file otherwise).
     *
     * @param handler runs on {@code controlThread}.
     */
    public ApiServer(final Path socketPath, final ExecutorService controlThread,
        final Function<JsonNode, JsonNode> handler) throws IOException
    {
        this.socketPath = socketPath;
        this.controlThread = controlThread;
        this.handler = handler;
        checkNotInUse(socketPath);
        if (socketPath.getParent() != null)
        {
            Files.createDirectories(socketPath.getParent());
        }
        Files.deleteIfExists(socketPath);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        this.acceptor = new Thread(this::acceptLoop, "berth-api-accept");
        acceptor.setDaemon(true);
    }

    /** Refuses to take over a socket a live berthd answers on. */
    public static void checkNotInUse(final Path socketPath) throws IOException
    {
        if (!Files.exists(socketPath))
        {
            return;
        }
        try (ApiClient client = ApiClient.connect(socketPath))
        {
            final JsonNode info = client.call(Json.WIRE.createObjectNode().put("op", "ping"));
            throw new BerthException("another berthd (pid " + info.path("Pid").asText("?") + ") already answers on " +
                socketPath + "; stop it first, or give this one its own --socket and --state-dir");
        }
        catch (final ApiClient.UnreachableException ex)
        {
            // a leftover socket file from a berthd that died: safe to replace
        }
        catch (final BerthException ex)
        {
            if (ex.getMessage().startsWith("another berthd"))
            {
                throw ex;
            }
            // something answered but not like berthd; treat as stale
        }
    }

    public void start()
    {
        acceptor.start();
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            try
            {
                final SocketChannel client = server.accept();
                clients.add(client);
                final Thread reader = new Thread(() -> serve(client), "berth-api-client");
                reader.setDaemon(true);
                reader.start();
            }
            catch (final ClosedChannelException ex)
            {
                return;
            }
            catch (final IOException ex)
            {
                if (!closed)
                {
                    LOG.log(System.Logger.Level.WARNING, "accept failed: " + ex.getMessage());
                }
            }
        }
    }

    private void serve(final SocketChannel client)
    {
        try (client;
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(client))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                if (line.isBlank())
                {
                    continue;
                }
                final Streamer streams = streamer;
                if (streams != null && line.contains("\"op\"") && streamOp(streams, line, out))
                {
                    return; // a stream ends the connection
                }
                out.write((Json.WIRE.writeValueAsString(answer(line)) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        }
        catch (final IOException ex)
        {
            // the client went away; nothing to answer
        }
        finally
        {
            clients.remove(client);
        }
    }

    /** True when the line was a streaming op and has been served. */
    private static boolean streamOp(final Streamer streams, final String line, final OutputStream out) throws IOException
    {
        final JsonNode request;
        try
        {
            request = Json.WIRE.readTree(line);
        }
        catch (final IOException malformed)
        {
            return false; // answer() says what is wrong
        }
        if (!streams.streams(request.path("op").asText()))
        {
            return false;
        }
        streams.stream(request, out);
        return true;
    }

    private ObjectNode answer(final String line)
    {
        try
        {
            return call(Json.WIRE.readTree(line));
        }
        catch (final IOException ex)
        {
            final ObjectNode response = Json.WIRE.createObjectNode();
            response.put("ok", false);
            response.put("error", "malformed request (expected one JSON object per line): " + ex.getMessage());
            return response;
        }
    }

    /**
     * Executes one request on the control thread, as if it had come over the socket, and returns the response
     * ({@code ok} with {@code result}, or {@code error}). For served CLI commands, which run on a client's thread.
     */
    public ObjectNode call(final JsonNode request)
    {
        final ObjectNode response = Json.WIRE.createObjectNode();
        try
        {
            final JsonNode result = controlThread.submit(() -> handler.apply(request)).get();
            response.put("ok", true);
            response.set("result", result);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            response.put("ok", false);
            if (cause instanceof BerthException)
            {
                response.put("error", cause.getMessage());
            }
            else
            {
                LOG.log(System.Logger.Level.ERROR, "request failed: " + request, cause);
                response.put("error", "internal error: " + cause);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            response.put("ok", false);
            response.put("error", "berthd is shutting down");
        }
        catch (final RejectedExecutionException ex)
        {
            response.put("ok", false);
            response.put("error", "berthd is shutting down");
        }
        return response;
    }

    /** Stops accepting, drops open connections and removes the socket file. */
    @Override
    public void close()
    {
        closed = true;
        try
        {
            server.close();
        }
        catch (final IOException ignored)
        {
            // closing a listening socket cannot lose data
        }
        for (final SocketChannel client : clients)
        {
            try
            {
                client.close();
            }
            catch (final IOException ignored)
            {
                // the client sees EOF either way
            }
        }
        try
        {
            Files.deleteIfExists(socketPath);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + socketPath + ": " + ex.getMessage());
        }
    }
}
