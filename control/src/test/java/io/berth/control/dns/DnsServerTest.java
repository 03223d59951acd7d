package io.berth.control.dns;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DnsServer}'s forwarding with real UDP sockets on loopback (no namespaces: the listener is opened in the
 * test's own): SERVFAIL and REFUSED move on to the next upstream, and the in-flight bound answers REFUSED at once.
 */
class DnsServerTest
{
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception
    {
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            closing.get(i).close();
        }
    }

    private DatagramChannel udp(final int port) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20); // 512 replies may come at once
        channel.bind(new InetSocketAddress("127.0.0.1", port));
        closing.add(channel);
        return channel;
    }

    /** An upstream that answers every query with {@code rcode}, on its own thread. */
    private InetSocketAddress upstream(final int rcode) throws IOException
    {
        final DatagramChannel channel = udp(0);
        final Thread thread = new Thread(() ->
        {
            final ByteBuffer buffer = ByteBuffer.allocate(2048);
            try
            {
                while (true)
                {
                    buffer.clear();
                    final SocketAddress from = channel.receive(buffer);
                    final Message query = new Message(java.util.Arrays.copyOf(buffer.array(), buffer.position()));
                    final Message reply = new Message(query.getHeader().getID());
                    reply.getHeader().setFlag(org.xbill.DNS.Flags.QR);
                    reply.getHeader().setRcode(rcode);
                    reply.addRecord(query.getQuestion(), org.xbill.DNS.Section.QUESTION);
                    channel.send(ByteBuffer.wrap(reply.toWire()), from);
                }
            }
            catch (final IOException closed)
            {
                // the test is over
            }
        });
        thread.setDaemon(true);
        thread.start();
        return (InetSocketAddress)channel.getLocalAddress();
    }

    private DnsServer server(final DnsCounters counters, final List<InetSocketAddress> upstreams) throws IOException
    {
        final SandboxNames names = new SandboxNames(Map.of(), Map.of(), true, upstreams);
        final DnsServer server = new DnsServer(counters, sandbox -> names);
        closing.add(server);
        return server;
    }

    private static byte[] query(final int id) throws IOException
    {
        final Message q = Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.A, DClass.IN));
        q.getHeader().setID(id);
        return q.toWire();
    }

    /** The next reply within {@code timeout}, or null; blocking reads, so a burst of replies is taken as it comes. */
    private static Message receive(final DatagramChannel client, final Duration timeout) throws IOException
    {
        final java.net.DatagramSocket socket = client.socket();
        socket.setSoTimeout((int)timeout.toMillis());
        final java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[2048], 2048);
        try
        {
            socket.receive(packet);
        }
        catch (final java.net.SocketTimeoutException none)
        {
            return null;
        }
        return new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
    }

    @Test
    void servfailAndRefusedMoveOnToTheNextUpstream() throws IOException
    {
        final DnsCounters counters = new DnsCounters();
        final DnsServer server = server(counters, List.of(upstream(Rcode.SERVFAIL), upstream(Rcode.REFUSED),
            upstream(Rcode.NXDOMAIN)));
        final DnsServer.Listener listener = DnsServer.open("test", new InetSocketAddress("127.0.0.1", 0));
        server.listen(listener);
        final DatagramChannel client = udp(0);
        client.send(ByteBuffer.wrap(query(4711)), listener.udp.getLocalAddress());
        final Message reply = receive(client, Duration.ofSeconds(5));
        assertTrue(reply != null, "no reply");
        assertEquals(4711, reply.getHeader().getID(), "the client's own id back");
        assertEquals(Rcode.NXDOMAIN, reply.getRcode(), "the third upstream's answer");
        assertEquals(2, counters.upstreamFailures.get());
        assertEquals(1, counters.nxdomain.get());
    }

    @Test
    void theInFlightBoundRefusesAtOnceAndNobodyAnsweringIsServfail() throws IOException
    {
        final DnsCounters counters = new DnsCounters();
        final DatagramChannel silent = udp(0); // receives, never answers
        final DnsServer server = server(counters, List.of((InetSocketAddress)silent.getLocalAddress()));
        final DnsServer.Listener listener = DnsServer.open("test", new InetSocketAddress("127.0.0.1", 0));
        server.listen(listener);
        final DatagramChannel client = udp(0);
        final int extra = 40;
        for (int i = 0; i < DnsServer.MAX_IN_FLIGHT + extra; i++)
        {
            client.send(ByteBuffer.wrap(query(i)), listener.udp.getLocalAddress());
            if (i % 64 == 63)
            {
                try
                {
                    Thread.sleep(5); // let the server drain: the bound, not the socket buffer, is under test
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
        int refused = 0;
        for (Message m; (m = receive(client, Duration.ofMillis(500))) != null && m.getRcode() == Rcode.REFUSED; )
        {
            refused++;
        }
        assertEquals(extra, refused, "beyond " + DnsServer.MAX_IN_FLIGHT + " pending: REFUSED at once");
        assertEquals(extra, counters.refusedBusy.get());
        // the pending ones time out and get SERVFAIL
        int servfail = 0;
        for (Message m; (m = receive(client, Duration.ofSeconds(5))) != null; )
        {
            assertEquals(Rcode.SERVFAIL, m.getRcode());
            servfail++;
        }
        // every pending query timed out and was answered (a loopback socket may drop some of a burst of 512, so
        // the client's count is a floor and the server's counter the figure)
        assertTrue(servfail > 0, "SERVFAIL when nobody answers");
        assertEquals(DnsServer.MAX_IN_FLIGHT, counters.upstreamTimeouts.get());
        // and the table is free again: the next query is forwarded, not refused
        client.send(ByteBuffer.wrap(query(9999)), listener.udp.getLocalAddress());
        final Message next = receive(client, Duration.ofSeconds(5));
        assertTrue(next != null && next.getRcode() == Rcode.SERVFAIL && next.getHeader().getID() == 9999,
            "after the timeouts a query is forwarded again: " + next);
        assertEquals(extra, counters.refusedBusy.get());
    }
}
