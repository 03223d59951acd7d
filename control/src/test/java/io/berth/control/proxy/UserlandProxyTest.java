package io.berth.control.proxy;

import io.berth.control.ipam.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.net.SocketAddress;
import java.net.SocketException;

/** The proxy end to end on loopback only. */
class UserlandProxyTest
{
    private static final int LOOPBACK = Ipv4.parse("127.0.0.1", "ip");
    private UserlandProxy proxy;

    @BeforeEach
    void start() throws IOException
    {
        proxy = new UserlandProxy(300);
    }

    @AfterEach
    void stop()
    {
        proxy.close();
    }

    private static int freeTcpPort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    @Test
    void tcpBytesBothWaysAndHalfClose() throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress()))
        {
            final int listenPort = freeTcpPort();
            final Forward forward = new Forward("tcp", LOOPBACK, listenPort, LOOPBACK, server.getLocalPort());
            proxy.open(forward);
            // the server echoes everything upper-cased after the client's FIN, then closes
            final byte[] big = new byte[1 << 20];
            new Random(1).nextBytes(big);
            final CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() ->
            {
                try (Socket accepted = server.accept())
                {
                    final byte[] all = accepted.getInputStream().readAllBytes(); // ends at the client's FIN
                    final OutputStream out = accepted.getOutputStream();
                    out.write("GOT ".getBytes(StandardCharsets.US_ASCII));
                    out.write(Integer.toString(all.length).getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    return all;
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listenPort))
            {
                client.setSoTimeout(10_000);
                final CompletableFuture<Void> sending = CompletableFuture.runAsync(() ->
                {
                    try
                    {
                        client.getOutputStream().write(big);
                        client.shutdownOutput(); // half-close: the reply must still come back
                    }
                    catch (final IOException ex)
                    {
                        throw new RuntimeException(ex);
                    }
                });
                final InputStream in = client.getInputStream();
                final byte[] reply = in.readAllBytes(); // ends when the server closed and the proxy passed it on
                sending.get(10, TimeUnit.SECONDS);
                assertEquals("GOT " + big.length, new String(reply, StandardCharsets.US_ASCII));
            }
            assertArrayEquals(big, received.get(10, TimeUnit.SECONDS));
            proxy.close(forward);
            assertEquals(0, proxy.size());
            assertThrows(IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), listenPort).close(),
                "closed forwards stop listening");
        }
    }

    @Test
    void tcpServerFirstAndRefusedUpstream() throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress()))
        {
            final int listenPort = freeTcpPort();
            proxy.open(new Forward("tcp", LOOPBACK, listenPort, LOOPBACK, server.getLocalPort()));
            final CompletableFuture<Void> serving = CompletableFuture.runAsync(() ->
            {
                try (Socket accepted = server.accept())
                {
                    accepted.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                    final byte[] answer = accepted.getInputStream().readNBytes(3);
                    accepted.getOutputStream().write(answer);
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            });
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listenPort))
            {
                client.setSoTimeout(10_000);
                assertEquals("hello\n", new String(client.getInputStream().readNBytes(6), StandardCharsets.US_ASCII));
                client.getOutputStream().write("abc".getBytes(StandardCharsets.US_ASCII));
                assertEquals("abc", new String(client.getInputStream().readNBytes(3), StandardCharsets.US_ASCII));
                assertEquals(-1, client.getInputStream().read(), "the server's close reaches the client");
            }
            serving.get(10, TimeUnit.SECONDS);
        }
        // nobody listens behind this one: the client's connection is closed
        final int deadPort = freeTcpPort();
        final int listenPort = freeTcpPort();
        proxy.open(new Forward("tcp", LOOPBACK, listenPort, LOOPBACK, deadPort));
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listenPort))
        {
            client.setSoTimeout(10_000);
            try
            {
                assertEquals(-1, client.getInputStream().read());
            }
            catch (final SocketException reset)
            {
                // a reset is fine too
            }
        }
    }

    @Test
    void bindFailureIsReportedAndLeavesNothing() throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final Forward forward = new Forward("tcp", LOOPBACK, taken.getLocalPort(), LOOPBACK, 9);
            final IOException ex = assertThrows(IOException.class, () -> proxy.open(forward));
            assertTrue(ex.getMessage().contains("127.0.0.1:" + taken.getLocalPort() + "/tcp"), ex.getMessage());
            assertEquals(0, proxy.size());
        }
        try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            final Forward forward = new Forward("udp", LOOPBACK, taken.getLocalPort(), LOOPBACK, 9);
            assertThrows(IOException.class, () -> proxy.open(forward));
            assertEquals(0, proxy.size());
        }
    }

    @Test
    void udpPerClientSessionsAndIdleTimeout() throws Exception
    {
        try (DatagramSocket server = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             DatagramSocket clientA = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             DatagramSocket clientB = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            server.setSoTimeout(10_000);
            clientA.setSoTimeout(10_000);
            clientB.setSoTimeout(10_000);
            final int listenPort = freeUdpPort();
            final Forward forward = new Forward("udp", LOOPBACK, listenPort, LOOPBACK, server.getLocalPort());
            proxy.open(forward);
            final InetSocketAddress proxyAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort);
            send(clientA, "from A", proxyAddress);
            final DatagramPacket first = receive(server);
            send(clientB, "from B", proxyAddress);
            final DatagramPacket second = receive(server);
            assertEquals("from A", text(first));
            assertEquals("from B", text(second));
            assertTrue(first.getPort() != second.getPort(), "one upstream socket per client address");
            // replies go back to the client they answer
            send(server, "to B", second.getSocketAddress());
            send(server, "to A", first.getSocketAddress());
            final DatagramPacket atB = receive(clientB);
            final DatagramPacket atA = receive(clientA);
            assertEquals("to B", text(atB));
            assertEquals("to A", text(atA));
            assertEquals(listenPort, atA.getPort(), "replies come from the published port");
            // the same client reuses its session
            send(clientA, "again", proxyAddress);
            assertEquals(first.getPort(), receive(server).getPort());
            // after the idle timeout (300 ms here; ticks once a second) a new session is used
            Thread.sleep(2_500);
            send(clientA, "later", proxyAddress);
            final DatagramPacket later = receive(server);
            assertEquals("later", text(later));
            assertTrue(later.getPort() != first.getPort(), "the idle session was closed");
            proxy.close(forward);
            assertEquals(0, proxy.size());
        }
    }

    private static void send(final DatagramSocket socket, final String text, final SocketAddress to)
        throws IOException
    {
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        socket.send(new DatagramPacket(bytes, bytes.length, to));
    }

    private static DatagramPacket receive(final DatagramSocket socket) throws IOException
    {
        final DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
        socket.receive(packet);
        return packet;
    }

    private static String text(final DatagramPacket packet)
    {
        return new String(Arrays.copyOf(packet.getData(), packet.getLength()), StandardCharsets.US_ASCII);
    }
}
