package io.berth.control.store.etcd;

import io.etcd.jetcd.Client;
import io.grpc.ManagedChannel;

import java.lang.reflect.Field;

/**
 * Cuts short the wait of jetcd's gRPC channel before its next connection attempt.
 * <p>
 * Why: grpc-java retries a failed connection on its own timer, each wait about 1.6 times the last, up to a fixed
 * two minutes, and a call on a channel in that state fails (or, with jetcd's wait-for-ready, waits) without
 * trying to connect. After an etcd outage of a minute the channel may wait another minute or two before it
 * notices etcd is back, and every change on this host fails meanwhile (seen: changes failing 8 s and more after a
 * 40 s outage ended; jetcd issue 1616 measured 138 s after six minutes). {@link ManagedChannel#resetConnectBackoff}
 * makes the channel try at once, and berthd calls it whenever a store call failed, so a host reconnects within a
 * call or a second of etcd's return.
 * <p>
 * jetcd keeps the channel private ({@code ClientImpl.connectionManager.managedChannel}, jetcd 0.8), so it is
 * reached by reflection, once. When a jetcd version moves it, the reset does nothing and says so once in the log:
 * the store still works, only with grpc-java's own reconnect timing. Any thread.
 */
final class ConnectBackoff
{
    private static final System.Logger LOG = System.getLogger(ConnectBackoff.class.getName());

    private final Object connectionManager;
    private final Field channelField;

    private ConnectBackoff(final Object connectionManager, final Field channelField)
    {
        this.connectionManager = connectionManager;
        this.channelField = channelField;
    }

    /** A reset for {@code client}'s channel; one that does nothing when the channel cannot be reached. */
    static ConnectBackoff of(final Client client)
    {
        try
        {
            final Field managerField = client.getClass().getDeclaredField("connectionManager");
            managerField.setAccessible(true);
            final Object manager = managerField.get(client);
            final Field channelField = manager.getClass().getDeclaredField("managedChannel");
            channelField.setAccessible(true);
            if (!ManagedChannel.class.isAssignableFrom(channelField.getType()))
            {
                throw new NoSuchFieldException("managedChannel is a " + channelField.getType().getName());
            }
            return new ConnectBackoff(manager, channelField);
        }
        catch (final ReflectiveOperationException | RuntimeException e)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot reach jetcd's gRPC channel (" + e + "): after an etcd outage " +
                "this host may take up to two minutes to reconnect");
            return new ConnectBackoff(null, null);
        }
    }

    /** Whether {@link #reset} can reach the channel (false only when jetcd's internals moved). */
    boolean reachesChannel()
    {
        return channelField != null;
    }

    /**
     * Makes a channel that waits out a reconnect backoff try now; a no-op for a connected or unmade channel.
     *
     * @return whether there was a channel to reset.
     */
    boolean reset()
    {
        if (channelField == null)
        {
            return false;
        }
        try
        {
            final ManagedChannel channel = (ManagedChannel)channelField.get(connectionManager);
            if (channel != null)
            {
                channel.resetConnectBackoff();
                return true;
            }
        }
        catch (final IllegalAccessException | RuntimeException e)
        {
            LOG.log(System.Logger.Level.DEBUG, "resetConnectBackoff failed: " + e);
        }
        return false;
    }
}
