package io.berth.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.state.ControlService;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * berthd's Docker plugin socket ({@code /run/docker/plugins/berth.sock}): an acceptor thread, a thread per
 * connection (dockerd keeps a few alive) that reads requests and waits for each call's answer from the control
 * thread, which owns the state. A socket file left by a berthd that died is replaced; one a live process
 * serves is not.
 */
public final class DockerPluginServer implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.docker");
    /** Where dockerd looks for plugin sockets; the file's name is the driver's name. */
    public static final Path DEFAULT_SOCKET = Path.of("/run/docker/plugins/berth.sock");

    private final Path socketPath;
    private final ServerSocketChannel server;
    private final ExecutorService controlThread;
    private final DockerPluginCalls calls;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private final DockerNames names;

    private DockerPluginServer(final Path socketPath, final ServerSocketChannel server,
        final ExecutorService controlThread, final ControlService service, final DockerNames names)
    {
        this.socketPath = socketPath;
        this.server = server;
        this.controlThread = controlThread;
        this.names = names;
        this.calls = new DockerPluginCalls(service, names);
        this.acceptor = new Thread(this::accept, "berth-docker-plugin");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds the socket and starts serving; {@code service} is used on {@code controlThread} only. Docker's names
     * are read from {@code dockerHost} (dockerd's API socket) outside the calls.
     */
    public static DockerPluginServer start(final Path socketPath, final String dockerHost,
        final ControlService service, final ExecutorService controlThread) throws IOException
    {
        Files.createDirectories(socketPath.toAbsolutePath().getParent());
        if (Files.exists(socketPath))
        {
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socketPath)))
            {
                throw new IOException("another process serves " + socketPath + " (a second berthd?); stop it or give " +
                    "--docker-plugin-socket another path");
            }
            catch (final IOException ex)
            {
                if (ex.getMessage() != null && ex.getMessage().startsWith("another process"))
                {
                    throw ex;
                }
                Files.deleteIfExists(socketPath); // nobody listens: a dead berthd's
            }
        }
        final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        final DockerNames names = new DockerNames(dockerHost, service, controlThread);
        final DockerPluginServer plugin = new DockerPluginServer(socketPath, server, controlThread, service, names);
        controlThread.execute(names::learnAll);
        plugin.acceptor.start();
        LOG.log(System.Logger.Level.INFO, "serving Docker's network and IPAM driver \"berth\" on " + socketPath);
        return plugin;
    }

    private void accept()
    {
        while (!closed)
        {
            try
            {
                final SocketChannel connection = server.accept();
                connections.add(connection);
                final Thread reader = new Thread(() -> serve(connection), "berth-docker-plugin-conn");
                reader.setDaemon(true);
                reader.start();
            }
            catch (final IOException ex)
            {
                if (!closed)
                {
                    LOG.log(System.Logger.Level.WARNING, "Docker plugin socket: " + ex.getMessage());
                }
                return;
            }
        }
    }

    private void serve(final SocketChannel connection)
    {
        try (connection)
        {
            final InputStream in = Channels.newInputStream(connection);
            final OutputStream out = Channels.newOutputStream(connection);
            while (!closed)
            {
                final PluginHttp.Request request;
                try
                {
                    request = PluginHttp.read(in);
                }
                catch (final PluginHttp.BadRequest ex)
                {
                    PluginHttp.writeJson(out, 400, DockerPluginCalls.error("/", "bad request: " + ex.getMessage())
                        .toString().getBytes(StandardCharsets.UTF_8));
                    return;
                }
                if (request == null)
                {
                    return;
                }
                PluginHttp.writeJson(out, 200, answer(request).toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        catch (final IOException ex)
        {
            if (!closed)
            {
                LOG.log(System.Logger.Level.DEBUG, "Docker plugin connection ended: " + ex.getMessage());
            }
        }
        finally
        {
            connections.remove(connection);
        }
    }

    /** The call's answer, computed on the control thread; a body that is no JSON object is an error answer. */
    private ObjectNode answer(final PluginHttp.Request request)
    {
        final JsonNode body;
        try
        {
            body = request.body().length == 0 ? Json.WIRE.createObjectNode() : Json.WIRE.readTree(request.body());
        }
        catch (final IOException ex)
        {
            return DockerPluginCalls.error(request.path(), "the body of " + request.path() + " is not JSON: " +
                ex.getMessage());
        }
        if (!body.isObject() && !body.isNull())
        {
            return DockerPluginCalls.error(request.path(), "the body of " + request.path() + " is not a JSON object");
        }
        final JsonNode call = body.isNull() ? Json.WIRE.createObjectNode() : body;
        try
        {
            return controlThread.submit(() -> calls.call(request.path(), call)).get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return DockerPluginCalls.error(request.path(), "berthd is stopping");
        }
        catch (final ExecutionException | RejectedExecutionException ex)
        {
            final Throwable cause = ex.getCause() == null ? ex : ex.getCause();
            LOG.log(System.Logger.Level.WARNING, "Docker call " + request.path() + " failed", cause);
            return DockerPluginCalls.error(request.path(), "berthd failed: " + cause);
        }
    }

    public Path socket()
    {
        return socketPath;
    }

    /** Stops accepting, drops the connections and removes the socket file (dockerd retries while it is away). */
    @Override
    public void close()
    {
        closed = true;
        names.close();
        try
        {
            server.close();
        }
        catch (final IOException ignored)
        {
            // closing anyway
        }
        for (final SocketChannel connection : connections)
        {
            try
            {
                connection.close();
            }
            catch (final IOException ignored)
            {
                // closing anyway
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
