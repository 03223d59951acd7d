package io.berth.control.proxy;

import io.berth.control.dataplane.InSandbox;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.nio.channels.Channel;

/**
 * A TCP forward: accepts on the listen socket and relays each connection to the target through two bounded
 * relays (pipes the kernel splices into and out of, or buffers); a FIN from one side is passed on as a FIN to the
 * other once what it sent is delivered; an error on either side closes both. Upstream sockets are made in the
 * container's namespace when the forward names one. Selector thread only.
 */
final class TcpListener implements UserlandProxy.Listener, UserlandProxy.Handler
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.proxy");
    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    /** Where upstream sockets are made (the container's namespace file), or null for berthd's own. */
    private final String namespace;
    private final Set<Connection> connections = new HashSet<>();
    private Selector selector;

    TcpListener(final ServerSocketChannel server, final InetSocketAddress target, final String namespace)
    {
        this.server = server;
        this.target = target;
        this.namespace = namespace;
    }

    @Override
    public void register(final Selector selector) throws IOException
    {
        this.selector = selector;
        server.register(selector, SelectionKey.OP_ACCEPT, this);
    }

    @Override
    public void handle(final SelectionKey key)
    {
        for (int i = 0; i < 64; i++)
        {
            final SocketChannel client;
            try
            {
                client = server.accept();
            }
            catch (final IOException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "proxy accept on " + server.socket().getLocalSocketAddress() + ": " + ex);
                return;
            }
            if (client == null)
            {
                return;
            }
            SocketChannel upstream = null;
            try
            {
                client.configureBlocking(false);
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                // a socket belongs to the namespace it was made in: made in the container's, it connects there
                upstream = namespace == null ? SocketChannel.open() :
                    InSandbox.runAt(namespace, SocketChannel::open);
                upstream.configureBlocking(false);
                upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
                final boolean connected = upstream.connect(target);
                final Connection connection = new Connection(client, upstream, relay(client, upstream),
                    relay(upstream, client));
                connection.clientKey = client.register(selector, 0, connection);
                connection.upstreamKey = upstream.register(selector, 0, connection);
                connection.connected = connected;
                connections.add(connection);
                connection.updateInterest();
            }
            catch (final IOException ex)
            {
                closeQuietly(client);
                closeQuietly(upstream);
            }
        }
    }

    @Override
    public void tick(final long nowMs)
    {
    }

    @Override
    public void close()
    {
        closeQuietly(server);
        for (final Connection connection : new ArrayList<>(connections))
        {
            connection.close();
        }
    }

    /** A relay from one socket to the other: spliced when the JVM lets berth see their fds, else buffered. */
    private static Relay relay(final SocketChannel from, final SocketChannel to)
    {
        final int fromFd = ChannelFds.fdOf(from);
        final int toFd = ChannelFds.fdOf(to);
        if (fromFd >= 0 && toFd >= 0)
        {
            try
            {
                return SpliceRelay.between(fromFd, toFd);
            }
            catch (final IOException ex)
            {
                LOG.log(System.Logger.Level.DEBUG, "proxy: no pipe for splicing (" + ex.getMessage() +
                    "); copying through a buffer");
            }
        }
        return new BufferRelay();
    }

    int connectionCount()
    {
        return connections.size();
    }

    private static void closeQuietly(final Channel channel)
    {
        if (channel != null)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignored)
            {
                // closing anyway
            }
        }
    }

    /** One relayed connection: client (accepted) and upstream (to the container). */
    private final class Connection implements UserlandProxy.Handler
    {
        private final SocketChannel client;
        private final SocketChannel upstream;
        private final Relay toUpstream;
        private final Relay toClient;
        private SelectionKey clientKey;
        private SelectionKey upstreamKey;
        private boolean connected;
        private boolean clientEof;
        private boolean upstreamEof;
        private boolean upstreamShut;
        private boolean clientShut;
        private boolean closed;

        Connection(final SocketChannel client, final SocketChannel upstream, final Relay toUpstream,
            final Relay toClient)
        {
            this.client = client;
            this.upstream = upstream;
            this.toUpstream = toUpstream;
            this.toClient = toClient;
        }

        @Override
        public void handle(final SelectionKey key)
        {
            try
            {
                if (key == upstreamKey && !connected && key.isConnectable())
                {
                    connected = upstream.finishConnect();
                }
                if (connected)
                {
                    if (key.isReadable())
                    {
                        if (key == clientKey)
                        {
                            clientEof |= !toUpstream.fill(client);
                        }
                        else
                        {
                            upstreamEof |= !toClient.fill(upstream);
                        }
                    }
                    toUpstream.drain(upstream);
                    toClient.drain(client);
                    if (clientEof && !toUpstream.holdsBytes() && !upstreamShut)
                    {
                        upstream.shutdownOutput();
                        upstreamShut = true;
                    }
                    if (upstreamEof && !toClient.holdsBytes() && !clientShut)
                    {
                        client.shutdownOutput();
                        clientShut = true;
                    }
                    if (upstreamShut && clientShut)
                    {
                        close();
                        return;
                    }
                }
                updateInterest();
            }
            catch (final IOException | RuntimeException ex)
            {
                close();
            }
        }

        void updateInterest()
        {
            if (closed)
            {
                return;
            }
            int clientOps = 0;
            int upstreamOps = 0;
            if (!connected)
            {
                upstreamOps = SelectionKey.OP_CONNECT;
            }
            else
            {
                if (!clientEof && toUpstream.hasRoom())
                {
                    clientOps |= SelectionKey.OP_READ;
                }
                if (toClient.holdsBytes())
                {
                    clientOps |= SelectionKey.OP_WRITE;
                }
                if (!upstreamEof && toClient.hasRoom())
                {
                    upstreamOps |= SelectionKey.OP_READ;
                }
                if (toUpstream.holdsBytes())
                {
                    upstreamOps |= SelectionKey.OP_WRITE;
                }
            }
            clientKey.interestOps(clientOps);
            upstreamKey.interestOps(upstreamOps);
        }

        void close()
        {
            if (closed)
            {
                return;
            }
            closed = true;
            connections.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
            toUpstream.close();
            toClient.close();
        }
    }
}
