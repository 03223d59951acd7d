package io.berth.control.dns;

import org.xbill.DNS.Rcode;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.nio.channels.Channel;

/**
 * The embedded DNS's sockets, all served by one selector thread ("berth-dns"): per sandbox a UDP and a TCP socket
 * on 127.0.0.11:53 that were opened inside the sandbox's namespace (an fd stays in the namespace it was made in),
 * and one UDP socket in berthd's own namespace for forwarding. A forwarded query gets a fresh id, at most
 * {@link #MAX_IN_FLIGHT} are pending (beyond, REFUSED at once), and each upstream has
 * {@link #UPSTREAM_TIMEOUT_MS}: a timeout, SERVFAIL or REFUSED tries the next one, anything else goes back to the
 * client. Nothing a client sends can stop the loop: every handler catches and counts.
 * <p>
 * {@link #listen} and {@link #close(Listener)} are called from the control thread and take effect on the DNS
 * thread; names come from a lookup the control thread replaces whole.
 */
public final class DnsServer implements AutoCloseable
{
    public static final int MAX_IN_FLIGHT = 512;
    public static final int UPSTREAM_TIMEOUT_MS = 1500;
    /** TCP connections per sandbox at once; more are closed as they come. */
    static final int MAX_TCP_PER_SANDBOX = 16;
    static final int TCP_IDLE_MS = 10_000;
    private static final System.Logger LOG = System.getLogger("io.berth.control.dns");

    /** One sandbox's two sockets. */
    public static final class Listener
    {
        final String sandbox;
        final DatagramChannel udp;
        final ServerSocketChannel tcp;
        int tcpConnections;

        public Listener(final String sandbox, final DatagramChannel udp, final ServerSocketChannel tcp)
        {
            this.sandbox = sandbox;
            this.udp = udp;
            this.tcp = tcp;
        }
    }

    /** A client's TCP connection: length-prefixed messages in, the same out. */
    private static final class Connection
    {
        final Listener listener;
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(2 + 65535);
        final Queue<ByteBuffer> out = new ArrayDeque<>();
        long lastActive;

        Connection(final Listener listener, final SocketChannel channel, final long now)
        {
            this.listener = listener;
            this.channel = channel;
            this.lastActive = now;
        }
    }

    /** A forwarded query waiting for its upstream. */
    private static final class Pending
    {
        final int clientId;
        final byte[] query; // with our id in it
        final List<InetSocketAddress> upstreams;
        final Listener listener;
        final SocketAddress udpClient;   // null for TCP
        final Connection tcpClient;      // null for UDP
        /** The largest answer the client takes (512, its EDNS0 size, or 65535 over TCP). */
        final int limit;
        int upstream;
        long deadline;

        Pending(final int clientId, final byte[] query, final List<InetSocketAddress> upstreams, final Listener listener,
            final SocketAddress udpClient, final Connection tcpClient, final int limit)
        {
            this.limit = limit;
            this.clientId = clientId;
            this.query = query;
            this.upstreams = upstreams;
            this.listener = listener;
            this.udpClient = udpClient;
            this.tcpClient = tcpClient;
        }
    }

    private final Selector selector;
    private final DatagramChannel forwarder;
    private final DnsResolver resolver;
    private final DnsCounters counters;
    private final Function<String, SandboxNames> namesOf;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final Map<SocketChannel, Connection> connections = new HashMap<>();
    private final ByteBuffer datagram = ByteBuffer.allocateDirect(65535);
    private final Thread thread;
    private volatile boolean running = true;
    private int nextId = (int)(System.nanoTime() & 0xFFFF);

    /**
     * Opens the forwarding socket in the calling thread's (berthd's) namespace and starts the DNS thread.
     *
     * @param namesOf the current names of a sandbox, null when it has none.
     */
    public DnsServer(final DnsCounters counters, final Function<String, SandboxNames> namesOf) throws IOException
    {
        this.counters = counters;
        this.resolver = new DnsResolver(counters);
        this.namesOf = namesOf;
        this.selector = Selector.open();
        this.forwarder = DatagramChannel.open(StandardProtocolFamily.INET);
        forwarder.configureBlocking(false);
        forwarder.bind(new InetSocketAddress(0));
        forwarder.register(selector, SelectionKey.OP_READ, this);
        thread = new Thread(this::loop, "berth-dns");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Opens 127.0.0.11:53 over UDP and TCP on the calling thread, which must be inside the sandbox's namespace
     * (see {@link io.berth.control.dataplane.InSandbox}); the DNS thread starts serving them.
     */
    public static Listener open(final String sandbox, final InetSocketAddress address) throws IOException
    {
        final DatagramChannel udp = DatagramChannel.open(StandardProtocolFamily.INET);
        try
        {
            udp.configureBlocking(false);
            udp.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20); // bursts wait here, not in drops
            udp.bind(address);
            final ServerSocketChannel tcp = ServerSocketChannel.open(StandardProtocolFamily.INET);
            try
            {
                tcp.configureBlocking(false);
                tcp.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                tcp.bind(address, 64);
                return new Listener(sandbox, udp, tcp);
            }
            catch (final IOException | RuntimeException ex)
            {
                tcp.close();
                throw ex;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            udp.close();
            throw ex;
        }
    }

    /** Starts serving {@code listener}'s sockets. Control thread. */
    public void listen(final Listener listener)
    {
        submit(() ->
        {
            try
            {
                listener.udp.register(selector, SelectionKey.OP_READ, listener);
                listener.tcp.register(selector, SelectionKey.OP_ACCEPT, listener);
            }
            catch (final ClosedChannelException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "DNS sockets of " + listener.sandbox + " closed before use");
            }
        });
    }

    /** Stops serving and closes {@code listener}'s sockets and connections. Control thread. */
    public void close(final Listener listener)
    {
        submit(() ->
        {
            quietly(listener.udp);
            quietly(listener.tcp);
            connections.values().removeIf(c ->
            {
                if (c.listener == listener)
                {
                    quietly(c.channel);
                    return true;
                }
                return false;
            });
            pending.values().removeIf(p -> p.listener == listener);
        });
    }

    private void submit(final Runnable task)
    {
        tasks.add(task);
        selector.wakeup();
    }

    private void loop()
    {
        while (running)
        {
            try
            {
                selector.select(100);
                for (Runnable task; (task = tasks.poll()) != null; )
                {
                    task.run();
                }
                final Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext())
                {
                    final SelectionKey key = keys.next();
                    keys.remove();
                    handle(key);
                }
                expire(System.currentTimeMillis());
            }
            catch (final Exception | StackOverflowError ex)
            {
                // never let one bad input end the service
                LOG.log(System.Logger.Level.WARNING, "DNS loop: " + ex);
            }
        }
    }

    private void handle(final SelectionKey key)
    {
        try
        {
            if (!key.isValid())
            {
                return;
            }
            final Object attachment = key.attachment();
            if (attachment == this)
            {
                drainUpstream();
            }
            else if (attachment instanceof Listener listener)
            {
                if (key.channel() == listener.udp)
                {
                    drainClients(listener);
                }
                else if (key.isAcceptable())
                {
                    accept(listener);
                }
            }
            else if (attachment instanceof Connection connection)
            {
                if (key.isValid() && key.isReadable())
                {
                    readTcp(connection, key);
                }
                if (key.isValid() && key.isWritable())
                {
                    flush(connection, key);
                }
            }
        }
        catch (final CancelledKeyException gone)
        {
            // closed by a task in this round
        }
        catch (final IOException ex)
        {
            if (key.attachment() instanceof Connection connection)
            {
                drop(connection);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- clients

    private void drainClients(final Listener listener) throws IOException
    {
        for (int i = 0; i < 64; i++) // a burst, then the others get their turn
        {
            datagram.clear();
            final SocketAddress client = listener.udp.receive(datagram);
            if (client == null)
            {
                return;
            }
            datagram.flip();
            final byte[] wire = new byte[datagram.remaining()];
            datagram.get(wire);
            query(listener, wire, client, null);
        }
    }

    private void query(final Listener listener, final byte[] wire, final SocketAddress udpClient,
        final Connection tcpClient)
    {
        final SandboxNames names = namesOf.apply(listener.sandbox);
        final DnsResolver.Outcome outcome = names == null
            ? new DnsResolver.Answer(wire.length >= DnsResolver.HEADER ? DnsResolver.headerOnly(wire, Rcode.REFUSED) : null)
            : resolver.resolve(wire, names, tcpClient != null);
        if (outcome instanceof DnsResolver.Answer answer && answer.wire() != null)
        {
            reply(listener, udpClient, tcpClient, answer.wire());
        }
        else if (outcome instanceof DnsResolver.Forward forwarded)
        {
            forward(listener, wire, names.upstreams(), udpClient, tcpClient, forwarded.limit());
        }
    }

    private void reply(final Listener listener, final SocketAddress udpClient, final Connection tcpClient,
        final byte[] wire)
    {
        try
        {
            if (tcpClient != null)
            {
                final ByteBuffer framed = ByteBuffer.allocate(2 + wire.length);
                framed.putShort((short)wire.length).put(wire).flip();
                tcpClient.out.add(framed);
                final SelectionKey key = tcpClient.channel.keyFor(selector);
                if (key != null && key.isValid())
                {
                    flush(tcpClient, key);
                }
            }
            else
            {
                listener.udp.send(ByteBuffer.wrap(wire), udpClient);
            }
        }
        catch (final IOException ex)
        {
            if (tcpClient != null)
            {
                drop(tcpClient);
            }
        }
    }

    private void accept(final Listener listener) throws IOException
    {
        for (SocketChannel channel; (channel = listener.tcp.accept()) != null; )
        {
            if (listener.tcpConnections >= MAX_TCP_PER_SANDBOX)
            {
                quietly(channel);
                continue;
            }
            channel.configureBlocking(false);
            final Connection connection = new Connection(listener, channel, System.currentTimeMillis());
            channel.register(selector, SelectionKey.OP_READ, connection);
            connections.put(channel, connection);
            listener.tcpConnections++;
        }
    }

    private void readTcp(final Connection connection, final SelectionKey key) throws IOException
    {
        final int n = connection.channel.read(connection.in);
        if (n < 0)
        {
            drop(connection);
            return;
        }
        connection.lastActive = System.currentTimeMillis();
        // every whole message in the buffer
        while (connection.in.position() >= 2)
        {
            final int length = ((connection.in.get(0) & 0xFF) << 8) | (connection.in.get(1) & 0xFF);
            if (connection.in.position() < 2 + length)
            {
                return;
            }
            final byte[] wire = new byte[length];
            connection.in.get(2, wire);
            final int rest = connection.in.position() - 2 - length;
            connection.in.put(0, connection.in, 2 + length, rest);
            connection.in.position(rest);
            query(connection.listener, wire, null, connection);
            if (!key.isValid())
            {
                return;
            }
        }
    }

    private void flush(final Connection connection, final SelectionKey key) throws IOException
    {
        while (!connection.out.isEmpty())
        {
            final ByteBuffer head = connection.out.peek();
            connection.channel.write(head);
            if (head.hasRemaining())
            {
                key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                return;
            }
            connection.out.poll();
        }
        key.interestOps(SelectionKey.OP_READ);
    }

    private void drop(final Connection connection)
    {
        if (connections.remove(connection.channel) != null)
        {
            connection.listener.tcpConnections--;
        }
        quietly(connection.channel);
        pending.values().removeIf(p -> p.tcpClient == connection);
    }

    // ----------------------------------------------------------------------------------------------- upstreams

    private void forward(final Listener listener, final byte[] wire, final List<InetSocketAddress> upstreams,
        final SocketAddress udpClient, final Connection tcpClient, final int limit)
    {
        final int clientId = ((wire[0] & 0xFF) << 8) | (wire[1] & 0xFF);
        if (pending.size() >= MAX_IN_FLIGHT)
        {
            counters.refusedBusy.incrementAndGet();
            reply(listener, udpClient, tcpClient, DnsResolver.headerOnly(wire, Rcode.REFUSED)); // berthd is busy
            return;
        }
        int id = nextId;
        while (pending.containsKey(id))
        {
            id = (id + 1) & 0xFFFF;
        }
        nextId = (id + 1) & 0xFFFF;
        final byte[] query = wire.clone();
        query[0] = (byte)(id >>> 8);
        query[1] = (byte)id;
        final Pending p = new Pending(clientId, query, upstreams, listener, udpClient, tcpClient, limit);
        pending.put(id, p);
        send(p, System.currentTimeMillis());
    }

    private void send(final Pending p, final long now)
    {
        p.deadline = now + UPSTREAM_TIMEOUT_MS;
        try
        {
            forwarder.send(ByteBuffer.wrap(p.query), p.upstreams.get(p.upstream));
        }
        catch (final IOException ex)
        {
            p.deadline = now; // unreachable now: the next round of expire() moves on
        }
    }

    private void drainUpstream() throws IOException
    {
        for (int i = 0; i < 64; i++)
        {
            datagram.clear();
            final SocketAddress from = forwarder.receive(datagram);
            if (from == null)
            {
                return;
            }
            datagram.flip();
            if (datagram.remaining() < DnsResolver.HEADER)
            {
                continue;
            }
            final int id = ((datagram.get(0) & 0xFF) << 8) | (datagram.get(1) & 0xFF);
            final Pending p = pending.get(id);
            if (p == null || !from.equals(p.upstreams.get(p.upstream)))
            {
                continue; // late, or not from the server we asked: ignored
            }
            final int rcode = datagram.get(3) & 0x0F;
            if ((rcode == Rcode.SERVFAIL || rcode == Rcode.REFUSED) && p.upstream + 1 < p.upstreams.size())
            {
                counters.upstreamFailures.incrementAndGet(); // SERVFAIL or REFUSED: ask the next one
                p.upstream++;
                send(p, System.currentTimeMillis());
                continue;
            }
            pending.remove(id);
            if (rcode == Rcode.NXDOMAIN)
            {
                counters.nxdomain.incrementAndGet();
            }
            byte[] wire = new byte[datagram.remaining()];
            datagram.get(wire);
            if (wire.length > p.limit)
            {
                wire = DnsResolver.truncated(wire); // an upstream that ignored the client's size
                counters.truncated.incrementAndGet();
            }
            wire[0] = (byte)(p.clientId >>> 8);
            wire[1] = (byte)p.clientId;
            reply(p.listener, p.udpClient, p.tcpClient, wire);
        }
    }

    private void expire(final long now)
    {
        final Iterator<Map.Entry<Integer, Pending>> it = pending.entrySet().iterator();
        while (it.hasNext())
        {
            final Pending p = it.next().getValue();
            if (now < p.deadline)
            {
                continue;
            }
            counters.upstreamTimeouts.incrementAndGet();
            if (p.upstream + 1 < p.upstreams.size())
            {
                p.upstream++;
                send(p, now);
            }
            else
            {
                it.remove();
                final byte[] failure = DnsResolver.headerOnly(p.query, Rcode.SERVFAIL); // nobody answered
                failure[0] = (byte)(p.clientId >>> 8);
                failure[1] = (byte)p.clientId;
                failure[2] |= p.query[2] & 0x01; // RD as asked
                reply(p.listener, p.udpClient, p.tcpClient, failure);
            }
        }
        connections.values().removeIf(c ->
        {
            if (now - c.lastActive > TCP_IDLE_MS)
            {
                c.listener.tcpConnections--;
                quietly(c.channel);
                return true;
            }
            return false;
        });
    }

    private static void quietly(final Channel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // closing
        }
    }

    @Override
    public void close()
    {
        running = false;
        selector.wakeup();
        try
        {
            thread.join(2000);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        connections.keySet().forEach(DnsServer::quietly);
        quietly(forwarder);
        try
        {
            selector.close();
        }
        catch (final IOException ignored)
        {
            // closing
        }
    }
}
