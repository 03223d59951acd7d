package io.berth.control.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
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
 * buffers; a FIN from one side is passed on as a FIN to the other once what it sent is delivered; an error on
 * either side closes both. Selector thread only.
 */
final class TcpListener implements UserlandProxy.Listener, UserlandProxy.Handler
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.proxy");
    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private final Set<Connection> connections = new HashSet<>();
    private Selector selector;

    TcpListener(final ServerSocketChannel server, final InetSocketAddress target)
    {
        this.server = server;
        this.target = target;
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
                upstream = SocketChannel.open();
                upstream.configureBlocking(false);
                upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
                final boolean connected = upstream.connect(target);
                final Connection connection = new Connection(client, upstream);
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
        /** Both in fill mode: bytes from position 0 to position() wait to be written. */
        private final ByteBuffer toUpstream = ByteBuffer.allocateDirect(UserlandProxy.BUFFER_BYTES);
        private final ByteBuffer toClient = ByteBuffer.allocateDirect(UserlandProxy.BUFFER_BYTES);
        private SelectionKey clientKey;
        private SelectionKey upstreamKey;
        private boolean connected;
        private boolean clientEof;
        private boolean upstreamEof;
        private boolean upstreamShut;
        private boolean clientShut;
        private boolean closed;

        Connection(final SocketChannel client, final SocketChannel upstream)
        {
            this.client = client;
            this.upstream = upstream;
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
                            clientEof |= client.read(toUpstream) < 0;
                        }
                        else
                        {
                            upstreamEof |= upstream.read(toClient) < 0;
                        }
                    }
                    flush(toUpstream, upstream);
                    flush(toClient, client);
                    if (clientEof && toUpstream.position() == 0 && !upstreamShut)
                    {
                        upstream.shutdownOutput();
                        upstreamShut = true;
                    }
                    if (upstreamEof && toClient.position() == 0 && !clientShut)
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

        private void flush(final ByteBuffer buffer, final SocketChannel to) throws IOException
        {
            if (buffer.position() == 0)
            {
                return;
            }
            buffer.flip();
            to.write(buffer);
            buffer.compact();
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
                if (!clientEof && toUpstream.hasRemaining())
                {
                    clientOps |= SelectionKey.OP_READ;
                }
                if (toClient.position() > 0)
                {
                    clientOps |= SelectionKey.OP_WRITE;
                }
                if (!upstreamEof && toClient.hasRemaining())
                {
                    upstreamOps |= SelectionKey.OP_READ;
                }
                if (toUpstream.position() > 0)
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
        }
    }
}
