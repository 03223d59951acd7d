package io.berth.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.wire.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * A GET on dockerd's API socket (one connection per call, closed after the answer). Never called from inside a
 * plugin call: dockerd holds its own locks while it waits for the plugin, and would deadlock. Any thread.
 */
final class DockerApi
{
    private final Path socket;

    DockerApi(final Path socket)
    {
        this.socket = socket;
    }

    /** {@code --docker-host unix:///PATH} (or a bare path) as the socket's path. */
    static Path socketOf(final String host)
    {
        final String path = host.startsWith("unix://") ? host.substring("unix://".length()) : host;
        if (!path.startsWith("/"))
        {
            throw new IllegalArgumentException("--docker-host " + host + " is no unix socket; give " +
                "unix:///var/run/docker.sock or another absolute path");
        }
        return Path.of(path);
    }

    Path socket()
    {
        return socket;
    }

    /** The JSON body of {@code GET path}; an IOException for a refused connection or a status other than 200. */
    JsonNode get(final String path) throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            channel.connect(UnixDomainSocketAddress.of(socket));
            final OutputStream out = Channels.newOutputStream(channel);
            out.write(("GET " + path + " HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = Channels.newInputStream(channel);
            final byte[] response = in.readNBytes(PluginHttp.MAX_BODY);
            final String text = new String(response, StandardCharsets.ISO_8859_1);
            final int headEnd = text.indexOf("\r\n\r\n");
            if (headEnd < 0 || !text.startsWith("HTTP/1.1 200"))
            {
                throw new IOException("dockerd answered GET " + path + " with " +
                    (headEnd < 0 ? "no HTTP" : text.substring(0, text.indexOf("\r\n"))));
            }
            final byte[] body = text.substring(0, headEnd).toLowerCase(Locale.ROOT).contains("chunked")
                ? dechunk(response, headEnd + 4)
                : Arrays.copyOfRange(response, headEnd + 4, response.length);
            return Json.WIRE.readTree(body);
        }
    }

    private static byte[] dechunk(final byte[] response, final int start) throws IOException
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        int at = start;
        while (at < response.length)
        {
            int lineEnd = at;
            while (lineEnd + 1 < response.length && !(response[lineEnd] == '\r' && response[lineEnd + 1] == '\n'))
            {
                lineEnd++;
            }
            final int size;
            try
            {
                size = Integer.parseInt(new String(response, at, lineEnd - at, StandardCharsets.US_ASCII).trim(), 16);
            }
            catch (final NumberFormatException ex)
            {
                throw new IOException("dockerd sent a chunk size that is no hex number");
            }
            if (size == 0)
            {
                break;
            }
            at = lineEnd + 2;
            if (at + size > response.length)
            {
                throw new IOException("dockerd's answer ended inside a chunk");
            }
            body.write(response, at, size);
            at += size + 2;
        }
        return body.toByteArray();
    }
}
