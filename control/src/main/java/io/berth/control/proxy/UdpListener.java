package io.berth.control.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * A UDP forward: each client address gets its own upstream socket connected to the target, so replies find their
 * way back; a session unused for the idle timeout is closed. Selector thread only.
 */
final class UdpListener implements UserlandProxy.Listener, UserlandProxy.Handler
{
    private static final int MAX_SESSIONS = 4096;

    private final DatagramChannel socket;
    private final InetSocketAddress target;
    private final long idleMs;
    private final Map<SocketAddress, Session> sessions = new HashMap<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);
    private Selector selector;

    UdpListener(final DatagramChannel socket, final InetSocketAddress target, final long idleMs)
    {
        this.socket = socket;
        this.target = target;
        this.idleMs = idleMs;
    }

    @Override
    public void register(final Selector selector) throws IOException
    {
        this.selector = selector;
        socket.register(selector, SelectionKey.OP_READ, this);
    }

    @Override
    public void handle(final SelectionKey key)
    {
        for (int i = 0; i < 64; i++)
        {
            buffer.clear();
            final SocketAddress from;
            try
            {
                from = socket.receive(buffer);
            }
            catch (final IOException ex)
            {
                return;
            }
            if (from == null)
            {
                return;
            }
            buffer.flip();
            Session session = sessions.get(from);
            if (session == null)
            {
                if (sessions.size() >= MAX_SESSIONS)
                {
                    continue; // dropped, as a full conntrack table would
                }
                try
                {
                    session = new Session(from);
                }
                catch (final IOException ex)
                {
                    continue;
                }
                sessions.put(from, session);
            }
            session.lastUsed = System.currentTimeMillis();
            try
            {
                session.upstream.write(buffer);
            }
            catch (final IOException ex)
            {
                // a datagram lost, as on the wire (e.g. ICMP port unreachable reported on the connected socket)
            }
        }
    }

    @Override
    public void tick(final long nowMs)
    {
        for (final Session session : new ArrayList<>(sessions.values()))
        {
            if (nowMs - session.lastUsed >= idleMs)
            {
                session.close();
            }
        }
    }

    @Override
    public void close()
    {
        try
        {
            socket.close();
        }
        catch (final IOException ignored)
        {
            // closing anyway
        }
        for (final Session session : new ArrayList<>(sessions.values()))
        {
            session.close();
        }
    }

    int sessionCount()
    {
        return sessions.size();
    }

    /** One client address and its upstream socket. */
    private final class Session implements UserlandProxy.Handler
    {
        private final SocketAddress client;
        private final DatagramChannel upstream;
        private long lastUsed;

        Session(final SocketAddress client) throws IOException
        {
            this.client = client;
            this.upstream = DatagramChannel.open(StandardProtocolFamily.INET);
            try
            {
                upstream.configureBlocking(false);
                upstream.connect(target);
                upstream.register(selector, SelectionKey.OP_READ, this);
            }
            catch (final IOException ex)
            {
                upstream.close();
                throw ex;
            }
        }

        @Override
        public void handle(final SelectionKey key)
        {
            for (int i = 0; i < 64; i++)
            {
                buffer.clear();
                final int read;
                try
                {
                    read = upstream.read(buffer);
                }
                catch (final PortUnreachableException ex)
                {
                    continue;
                }
                catch (final IOException ex)
                {
                    close();
                    return;
                }
                if (read <= 0)
                {
                    return;
                }
                buffer.flip();
                lastUsed = System.currentTimeMillis();
                try
                {
                    socket.send(buffer, client);
                }
                catch (final IOException ex)
                {
                    return;
                }
            }
        }

        void close()
        {
            sessions.remove(client);
            try
            {
                upstream.close();
            }
            catch (final IOException ignored)
            {
                // closing anyway
            }
        }
    }
}
