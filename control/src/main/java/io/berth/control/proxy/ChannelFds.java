package io.berth.control.proxy;

import java.lang.reflect.Field;
import java.nio.channels.SocketChannel;

/**
 * The file descriptor behind a JDK socket channel, for splice(2): read from the JDK's own field (berthd runs with
 * java.base's sun.nio.ch opened, as chronicle-queue needs). When the field cannot be read (another JDK), -1, and
 * the proxy copies through a buffer instead. Any thread.
 */
final class ChannelFds
{
    private static final Field FD_VAL = fdValField();

    private ChannelFds()
    {
    }

    private static Field fdValField()
    {
        try
        {
            final Field field = Class.forName("sun.nio.ch.SocketChannelImpl").getDeclaredField("fdVal");
            field.setAccessible(true);
            return field;
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            return null;
        }
    }

    /** The channel's fd, or -1 when it cannot be known. */
    static int fdOf(final SocketChannel channel)
    {
        if (FD_VAL == null || !FD_VAL.getDeclaringClass().isInstance(channel))
        {
            return -1;
        }
        try
        {
            return FD_VAL.getInt(channel);
        }
        catch (final IllegalAccessException | RuntimeException ex)
        {
            return -1;
        }
    }

    /** Whether splicing is possible in this JVM. */
    static boolean available()
    {
        return FD_VAL != null;
    }
}
