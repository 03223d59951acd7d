package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client's side of a streamed answer whose lines announce raw bytes (a capture's packets). */
class ApiClientStreamTest
{
    @TempDir
    Path dir;

    /** Serves one connection: reads the request line, then writes {@code answer} in small pieces. */
    private CompletableFuture<String> serve(final Path socket, final byte[] answer) throws IOException
    {
        final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return CompletableFuture.supplyAsync(() ->
        {
            try (server; SocketChannel peer = server.accept())
            {
                final InputStream in = Channels.newInputStream(peer);
                final ByteArrayOutputStream request = new ByteArrayOutputStream();
                for (int b; (b = in.read()) != '\n' && b >= 0; )
                {
                    request.write(b);
                }
                final OutputStream out = Channels.newOutputStream(peer);
                for (int i = 0; i < answer.length; i += 1000) // split across reads, lines and payloads alike
                {
                    out.write(answer, i, Math.min(1000, answer.length - i));
                    out.flush();
                }
                return request.toString(StandardCharsets.UTF_8);
            }
            catch (final IOException ex)
            {
                throw new RuntimeException(ex);
            }
        });
    }

    private static void put(final ByteArrayOutputStream out, final String line)
    {
        out.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void linesAndTheRawBytesTheyAnnounceArriveWhole() throws Exception
    {
        final byte[] packet = new byte[100_000];
        for (int i = 0; i < packet.length; i++)
        {
            packet[i] = (byte)(i * 31 + 7); // newlines among them, which must not end anything
        }
        final String longText = "x".repeat(150_000); // a line longer than the client's buffer
        final ByteArrayOutputStream answer = new ByteArrayOutputStream();
        put(answer, "{\"ok\":true}");
        put(answer, "{\"stage\":\"tx\",\"raw_bytes\":" + packet.length + "}");
        answer.writeBytes(packet);
        put(answer, "{\"stage\":\"rx\",\"raw_bytes\":0}");
        put(answer, "{\"keepalive\":true,\"note\":\"" + longText + "\"}");
        put(answer, "{\"stage\":\"rx\",\"data\":\"AAE=\"}");
        put(answer, "{\"end\":true,\"lost\":3}");
        final Path socket = dir.resolve("s.sock");
        final CompletableFuture<String> served = serve(socket, answer.toByteArray());
        final List<JsonNode> lines = new ArrayList<>();
        final List<byte[]> payloads = new ArrayList<>();
        try (ApiClient client = ApiClient.connect(socket))
        {
            client.streamWithPayloads(Json.WIRE.createObjectNode().put("op", "capture").put("binary", true), (line, payload) ->
            {
                lines.add(line);
                payloads.add(payload);
                return !line.has("end");
            });
        }
        assertTrue(served.get().contains("\"binary\":true"), served.get());
        assertEquals(5, lines.size(), lines.toString());
        assertArrayEquals(packet, payloads.get(0));
        assertEquals(0, payloads.get(1).length);
        assertEquals(longText.length(), lines.get(2).path("note").asText().length());
        assertNull(payloads.get(2));
        assertNull(payloads.get(3), "a line without bytes has no payload");
        assertEquals(3, lines.get(4).path("lost").asInt());
    }

    /** A flow record has a "bytes" count, and a plain stream reads no payload whatever its lines hold. */
    @Test
    void aPlainStreamNeverReadsPayloads() throws Exception
    {
        final ByteArrayOutputStream answer = new ByteArrayOutputStream();
        put(answer, "{\"ok\":true}");
        put(answer, "{\"flow\":1,\"bytes\":-1,\"raw_bytes\":5}");
        put(answer, "{\"flow\":2,\"bytes\":123456}");
        put(answer, "{\"end\":true}");
        final Path socket = dir.resolve("plain.sock");
        serve(socket, answer.toByteArray());
        final List<JsonNode> lines = new ArrayList<>();
        try (ApiClient client = ApiClient.connect(socket))
        {
            client.stream(Json.WIRE.createObjectNode().put("op", "flows"), line ->
            {
                lines.add(line);
                return !line.has("end");
            });
        }
        assertEquals(3, lines.size(), lines.toString());
        assertEquals(123456, lines.get(1).path("bytes").asLong());
    }

    @Test
    void anAnswerCutShortOfItsBytesIsAnError() throws Exception
    {
        final ByteArrayOutputStream answer = new ByteArrayOutputStream();
        put(answer, "{\"ok\":true}");
        put(answer, "{\"stage\":\"tx\",\"raw_bytes\":5000}");
        answer.writeBytes(new byte[4000]);
        final BerthException ex = captureFails("short.sock", answer);
        assertTrue(ex.getMessage().contains("1000 bytes short"), ex.getMessage());
    }

    @Test
    void aRefusalIsThrownWithBerthdsMessage() throws Exception
    {
        final ByteArrayOutputStream answer = new ByteArrayOutputStream();
        put(answer, "{\"ok\":false,\"error\":\"no container nosuch\"}");
        assertEquals("no container nosuch", captureFails("refused.sock", answer).getMessage());
    }

    /** Serves {@code answer} to a capture stream on socket {@code name}; the stream must throw. */
    private BerthException captureFails(final String name, final ByteArrayOutputStream answer) throws IOException
    {
        final Path socket = dir.resolve(name);
        serve(socket, answer.toByteArray());
        try (ApiClient client = ApiClient.connect(socket))
        {
            return assertThrows(BerthException.class, () -> client.streamWithPayloads(
                Json.WIRE.createObjectNode().put("op", "capture"), (line, payload) -> true));
        }
    }
}
