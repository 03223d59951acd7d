package io.berth.control.proxy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The splicing relay between two real loopback connections: this JVM lets berth see a channel's fd (else the
 * proxy would silently copy), the pipe fills and holds back (the relay's room), every byte arrives in order, and
 * the end of the stream is seen.
 */
class SpliceRelayTest
{
    @Test
    void aChannelsFdIsItsSocket() throws IOException
    {
        assertTrue(ChannelFds.available(), "berthd's JVM options open sun.nio.ch: the proxy splices");
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel client = SocketChannel.open(server.getLocalAddress()))
        {
            final int fd = ChannelFds.fdOf(client);
            assertTrue(fd > 2, "fd " + fd);
            assertTrue(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().startsWith("socket:"));
        }
    }

    @Test
    void eightMegabytesArriveInOrderThroughAPipeThatHoldsBack() throws Exception
    {
        final byte[] data = new byte[8 << 20];
        new Random(28).nextBytes(data);
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel writer = SocketChannel.open(server.getLocalAddress());
             SocketChannel from = server.accept();
             SocketChannel to = SocketChannel.open(server.getLocalAddress());
             SocketChannel reader = server.accept())
        {
            from.configureBlocking(false);
            to.configureBlocking(false);
            final CompletableFuture<Void> writing = CompletableFuture.runAsync(() ->
            {
                try
                {
                    writer.write(ByteBuffer.wrap(data));
                    writer.shutdownOutput();
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            try (SpliceRelay relay = SpliceRelay.between(ChannelFds.fdOf(from), ChannelFds.fdOf(to)))
            {
                // nobody reads yet: the pipe and the sockets' buffers fill, then the relay has no room
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (relay.hasRoom() && System.nanoTime() < deadline)
                {
                    relay.fill(from);
                    relay.drain(to);
                }
                assertFalse(relay.hasRoom(), "a reader that does not read holds the relay back");
                assertTrue(relay.holdsBytes());
                final CompletableFuture<byte[]> reading = CompletableFuture.supplyAsync(() ->
                {
                    try
                    {
                        return reader.socket().getInputStream().readAllBytes();
                    }
                    catch (final IOException ex)
                    {
                        throw new RuntimeException(ex);
                    }
                });
                boolean open = true;
                while (open || relay.holdsBytes())
                {
                    if (open && relay.hasRoom())
                    {
                        open = relay.fill(from);
                    }
                    relay.drain(to);
                    assertTrue(System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(20), "relay stalled");
                }
                to.shutdownOutput();
                writing.get(10, TimeUnit.SECONDS);
                final byte[] got = reading.get(10, TimeUnit.SECONDS);
                assertTrue(got.length == data.length, "got " + got.length + " of " + data.length);
                assertArrayEquals(data, got, "first difference at " + mismatch(data, got));
            }
        }
    }

    private static int mismatch(final byte[] a, final byte[] b)
    {
        return Arrays.mismatch(a, b);
    }
}
