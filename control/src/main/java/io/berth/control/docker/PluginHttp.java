package io.berth.control.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The little HTTP/1.1 Docker's plugin client speaks: POST requests with a Content-Length (or chunked) JSON body on
 * a kept-alive connection, answered 200 with a JSON body. A request that is not that is answered 400 and the
 * connection closed. One connection's thread.
 */
final class PluginHttp
{
    /** Docker's plugin calls are small; a body beyond this is refused. */
    static final int MAX_BODY = 1 << 20;
    private static final int MAX_HEAD = 16 * 1024;
    static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1+json";

    /** One request: its method, path and body. */
    record Request(String method, String path, byte[] body)
    {
    }

    /** The request is not HTTP as Docker speaks it. */
    static final class BadRequest extends IOException
    {
        BadRequest(final String message)
        {
            super(message);
        }
    }

    private PluginHttp()
    {
    }

    /** @return the next request, or null when the client closed the connection between requests. */
    static Request read(final InputStream in) throws IOException
    {
        final String head = readHead(in);
        if (head == null)
        {
            return null;
        }
        final String[] lines = head.split("\r\n");
        final String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1."))
        {
            throw new BadRequest("request line " + lines[0] + " is not METHOD PATH HTTP/1.x");
        }
        long length = -1;
        boolean chunked = false;
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            if (colon < 0)
            {
                throw new BadRequest("header line " + lines[i] + " has no colon");
            }
            final String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            final String value = lines[i].substring(colon + 1).trim();
            if (name.equals("content-length"))
            {
                try
                {
                    length = Long.parseLong(value);
                }
                catch (final NumberFormatException ex)
                {
                    throw new BadRequest("Content-Length " + value + " is no number");
                }
            }
            else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked"))
            {
                chunked = true;
            }
        }
        final byte[] body = chunked ? readChunked(in) : readBody(in, Math.max(length, 0));
        return new Request(requestLine[0], requestLine[1], body);
    }

    static void writeJson(final OutputStream out, final int status, final byte[] json) throws IOException
    {
        final String head = "HTTP/1.1 " + status + (status == 200 ? " OK" : " Bad Request") + "\r\n" +
            "Content-Type: " + CONTENT_TYPE + "\r\n" +
            "Content-Length: " + json.length + "\r\n" +
            (status == 200 ? "" : "Connection: close\r\n") + "\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(json);
        out.flush();
    }

    /** The request line and headers up to the blank line, or null at a clean end of stream. */
    private static String readHead(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream head = new ByteArrayOutputStream(256);
        int matched = 0;
        while (matched < 4)
        {
            final int b = in.read();
            if (b < 0)
            {
                if (head.size() == 0)
                {
                    return null;
                }
                throw new BadRequest("the connection ended inside the request's headers");
            }
            head.write(b);
            if (head.size() > MAX_HEAD)
            {
                throw new BadRequest("request headers longer than " + MAX_HEAD + " bytes");
            }
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ?
                matched + 1 : (b == '\r' ? 1 : 0);
        }
        final String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
    }

    private static byte[] readBody(final InputStream in, final long length) throws IOException
    {
        if (length > MAX_BODY)
        {
            throw new BadRequest("body of " + length + " bytes; at most " + MAX_BODY);
        }
        final byte[] body = in.readNBytes((int)length);
        if (body.length != length)
        {
            throw new BadRequest("the connection ended after " + body.length + " of " + length + " body bytes");
        }
        return body;
    }

    private static byte[] readChunked(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true)
        {
            final String sizeLine = readLine(in);
            final int size;
            try
            {
                size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
            }
            catch (final NumberFormatException ex)
            {
                throw new BadRequest("chunk size " + sizeLine + " is no hex number");
            }
            if (size == 0)
            {
                while (!readLine(in).isEmpty())
                {
                    // trailers: none Docker sends, skipped
                }
                return body.toByteArray();
            }
            if (body.size() + size > MAX_BODY)
            {
                throw new BadRequest("chunked body beyond " + MAX_BODY + " bytes");
            }
            body.write(readBody(in, size));
            readLine(in);
        }
    }

    private static String readLine(final InputStream in) throws IOException
    {
        final StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n')
        {
            if (b != '\r')
            {
                line.append((char)b);
            }
            if (line.length() > MAX_HEAD)
            {
                throw new BadRequest("a chunk line longer than " + MAX_HEAD + " bytes");
            }
        }
        if (b < 0)
        {
            throw new BadRequest("the connection ended inside a chunked body");
        }
        return line.toString();
    }
}
