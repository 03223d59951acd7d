package io.berth.control.docker;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP/1.1 of Docker's plugin client: what it sends is read, anything else is a BadRequest naming why. */
class PluginHttpTest
{
    private static InputStream stream(final String text)
    {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void keptAliveRequestsWithALengthOrChunksAreReadOneAfterAnother() throws IOException
    {
        final InputStream in = stream(
            "POST /Plugin.Activate HTTP/1.1\r\nHost: plugin\r\nContent-Length: 2\r\n\r\n{}" +
            "POST /NetworkDriver.Join HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2;x=y\r\n1}\r\n0\r\n\r\n" +
            "POST /IpamDriver.GetCapabilities HTTP/1.1\r\n\r\n");
        final PluginHttp.Request first = PluginHttp.read(in);
        assertEquals("/Plugin.Activate", first.path());
        assertEquals("{}", new String(first.body(), StandardCharsets.UTF_8));
        final PluginHttp.Request second = PluginHttp.read(in);
        assertEquals("/NetworkDriver.Join", second.path());
        assertEquals("{\"a\":1}", new String(second.body(), StandardCharsets.UTF_8));
        final PluginHttp.Request third = PluginHttp.read(in);
        assertEquals(0, third.body().length);
        assertNull(PluginHttp.read(in), "a clean end between requests");
    }

    @Test
    void whatIsNotDockersHttpIsABadRequestSayingWhy()
    {
        assertBad("hello\r\n\r\n", "hello");
        assertBad("POST / HTTP/1.1\r\nno colon here\r\n\r\n", "no colon here");
        assertBad("POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n", "ten");
        assertBad("POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", "99999999");
        assertBad("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", "3 of 10");
        assertBad("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "zz");
        assertBad("POST / HTTP/1.1\r\nX: " + "y".repeat(20000) + "\r\n\r\n", "longer than");
        assertBad("POST / HTTP/1.1\r\nHost: x", "inside the request's headers");
    }

    private static void assertBad(final String request, final String named)
    {
        final PluginHttp.BadRequest bad = assertThrows(PluginHttp.BadRequest.class, () -> PluginHttp.read(stream(request)));
        assertTrue(bad.getMessage().contains(named), bad.getMessage());
    }

    @Test
    void randomBytesNeverEscapeAsAnythingButABadRequestOrARequest()
    {
        final Random random = new Random(26);
        for (int i = 0; i < 5000; i++)
        {
            final byte[] bytes = new byte[random.nextInt(300)];
            random.nextBytes(bytes);
            if (random.nextBoolean())
            {
                final byte[] head = "POST /x HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(head, 0, bytes, 0, Math.min(head.length, bytes.length));
            }
            try
            {
                PluginHttp.read(new ByteArrayInputStream(bytes));
            }
            catch (final PluginHttp.BadRequest expected)
            {
                // refused, with a reason
            }
            catch (final IOException | RuntimeException ex)
            {
                throw new AssertionError("input " + i + " escaped as " + ex, ex);
            }
        }
    }

    @Test
    void answersCarryTheirLengthAndABadRequestClosesTheConnection() throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        PluginHttp.writeJson(out, 200, "{}".getBytes(StandardCharsets.UTF_8));
        final String ok = out.toString(StandardCharsets.ISO_8859_1);
        assertTrue(ok.startsWith("HTTP/1.1 200 OK\r\n") && ok.contains("Content-Length: 2\r\n") && ok.endsWith("\r\n\r\n{}"), ok);
        out.reset();
        PluginHttp.writeJson(out, 400, "{}".getBytes(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.ISO_8859_1).contains("Connection: close"));
    }
}
