package io.berth.control.proxy;

import io.berth.control.ipam.Ipv4;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * berthd's userland proxy, as docker-proxy: listens in berthd's own namespace (127.0.0.1:HOSTPORT) and relays to
 * a container's address, which the host reaches over the berth0 host link. One selector thread
 * ("berth-proxy") serves every forward: non-blocking TCP with two bounded buffers per connection and half-close
 * passed on, UDP with one upstream socket per client address that closes after an idle timeout.
 * {@link #open}/{@link #close} are called from another thread (the control thread): sockets are bound there, so a
 * bind failure is reported at once, and handed to the selector thread, which owns all channel state.
 */
public final class UserlandProxy implements Forwarders, AutoCloseable
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.proxy");
    /** docker-proxy's UDP idle timeout. */
    public static final long DEFAULT_UDP_IDLE_MS = 90_000;
    static final int BUFFER_BYTES = 64 * 1024;
    private static final long TASK_TIMEOUT_S = 10;

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Map<Forward, Listener> listeners = new ConcurrentHashMap<>();
    private final long udpIdleMs;
    private volatile boolean running = true;

    /** Something registered with the selector: reacts to its key's readiness. Selector thread only. */
    interface Handler
    {
        void handle(SelectionKey key);
    }

    /** A forward's listening socket and everything it relays. Selector thread only (after registration). */
    interface Listener
    {
        void register(Selector selector) throws IOException;

        /** Called about once a second on the selector thread. */
        void tick(long nowMs);

        void close();
    }

    public UserlandProxy() throws IOException
    {
        this(DEFAULT_UDP_IDLE_MS);
    }

    public UserlandProxy(final long udpIdleMs) throws IOException
    {
        this.udpIdleMs = udpIdleMs;
        this.selector = Selector.open();
        this.thread = new Thread(this::loop, "berth-proxy");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void open(final Forward forward) throws IOException
    {
        if (listeners.containsKey(forward))
        {
            throw new IOException("already forwarding " + forward);
        }
        final InetSocketAddress listen = new InetSocketAddress(forward.listenIpv6() ? InetAddress.getByAddress(IPV6_LOOPBACK)
            : address(forward.listenIp()), forward.listenPort());
        final InetSocketAddress target = new InetSocketAddress(address(forward.targetIp()), forward.targetPort());
        final Listener listener;
        try
        {
            listener = switch (forward.protocol())
            {
                case "tcp" -> bindTcp(listen, target, forward.namespace());
                case "udp" -> bindUdp(listen, target);
                default -> throw new IOException("unknown protocol " + forward.protocol());
            };
        }
        catch (final IOException ex)
        {
            final String message = "cannot listen on " + forward.listen() + ":" +
                forward.listenPort() + "/" + forward.protocol() + ": " + ex.getMessage();
            LOG.log(System.Logger.Level.WARNING, "proxy " + message);
            throw new IOException(message, ex);
        }
        try
        {
            onSelector(() ->
            {
                listener.register(selector);
                return null;
            });
        }
        catch (final IOException | RuntimeException ex)
        {
            listener.close();
            throw ex;
        }
        listeners.put(forward, listener);
    }

    @Override
    public void close(final Forward forward)
    {
        final Listener listener = listeners.remove(forward);
        if (listener == null)
        {
            return;
        }
        try
        {
            onSelector(() ->
            {
                listener.close();
                // a channel registered with a selector is only really closed when the selector next flushes its
                // cancelled keys: do it now, so the port stops listening before close() returns
                selector.selectNow();
                return null;
            });
        }
        catch (final IOException | RuntimeException ex)
        {
            listener.close(); // the selector thread is gone: close from here
        }
    }

    /** How many forwards are open. */
    public int size()
    {
        return listeners.size();
    }

    @Override
    public void close()
    {
        for (final Forward forward : listeners.keySet())
        {
            close(forward);
        }
        running = false;
        selector.wakeup();
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(TASK_TIMEOUT_S));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private TcpListener bindTcp(final InetSocketAddress listen, final InetSocketAddress target,
        final String namespace) throws IOException
    {
        final ServerSocketChannel server = ServerSocketChannel.open(familyOf(listen));
        try
        {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(listen, 128);
            server.configureBlocking(false);
        }
        catch (final IOException ex)
        {
            server.close();
            throw ex;
        }
        return new TcpListener(server, target, namespace);
    }

    private UdpListener bindUdp(final InetSocketAddress listen, final InetSocketAddress target) throws IOException
    {
        final DatagramChannel socket = DatagramChannel.open(familyOf(listen));
        try
        {
            socket.bind(listen);
            socket.configureBlocking(false);
        }
        catch (final IOException ex)
        {
            socket.close();
            throw ex;
        }
        return new UdpListener(socket, target, udpIdleMs);
    }

    @FunctionalInterface
    private interface Task
    {
        Object run() throws IOException;
    }

    private void onSelector(final Task task) throws IOException
    {
        if (Thread.currentThread() == thread)
        {
            task.run();
            return;
        }
        if (!running)
        {
            throw new IOException("the proxy has stopped");
        }
        final CompletableFuture<Object> done = new CompletableFuture<>();
        tasks.add(() ->
        {
            try
            {
                done.complete(task.run());
            }
            catch (final Throwable ex)
            {
                done.completeExceptionally(ex);
            }
        });
        selector.wakeup();
        try
        {
            done.get(TASK_TIMEOUT_S, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof IOException io)
            {
                throw io;
            }
            throw new IOException(ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            throw new IOException("the proxy thread did not answer in " + TASK_TIMEOUT_S + " s");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private void loop()
    {
        long lastTick = System.currentTimeMillis();
        try
        {
            while (running)
            {
                selector.select(1000);
                Runnable task;
                while ((task = tasks.poll()) != null)
                {
                    task.run();
                }
                for (final SelectionKey key : selector.selectedKeys())
                {
                    if (key.isValid() && key.attachment() instanceof Handler handler)
                    {
                        try
                        {
                            handler.handle(key);
                        }
                        catch (final RuntimeException ex)
                        {
                            LOG.log(System.Logger.Level.WARNING, "proxy: " + ex);
                        }
                    }
                }
                selector.selectedKeys().clear();
                final long now = System.currentTimeMillis();
                if (now - lastTick >= 1000)
                {
                    lastTick = now;
                    for (final Listener listener : listeners.values())
                    {
                        listener.tick(now);
                    }
                }
            }
        }
        catch (final IOException | ClosedSelectorException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "proxy thread stops: " + ex);
        }
        finally
        {
            Runnable task;
            while ((task = tasks.poll()) != null)
            {
                task.run();
            }
            try
            {
                selector.close();
            }
            catch (final IOException ignored)
            {
                // closing anyway
            }
        }
    }

    /** The listening socket's family: [::1] needs an IPv6 one (upstream sockets stay IPv4: the target is). */
    private static StandardProtocolFamily familyOf(final InetSocketAddress listen)
    {
        return listen.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    }

    private static final byte[] IPV6_LOOPBACK = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    private static InetAddress address(final int ip) throws UnknownHostException
    {
        return InetAddress.getByAddress(new byte[]{(byte)(ip >>> 24), (byte)(ip >>> 16), (byte)(ip >>> 8), (byte)ip});
    }

    /** The open forwards, for tests and diagnostics. */
    public Map<Forward, String> describe()
    {
        final Map<Forward, String> result = new HashMap<>();
        listeners.keySet().forEach(forward -> result.put(forward, forward.toString()));
        return result;
    }
}
