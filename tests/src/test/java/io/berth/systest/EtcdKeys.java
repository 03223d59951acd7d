package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keys written into a lab's etcd by hand, as anyone who reaches it could: through etcd's own HTTP gateway
 * ({@code /v3/kv/...}, JSON with base64 keys and values) with curl from a namespace that reaches it. Test thread.
 */
final class EtcdKeys
{
    private final String ns;
    private final String url;

    /** @param ns a namespace that reaches etcd (a host's); {@code url} etcd's client URL there. */
    EtcdKeys(final String ns, final String url)
    {
        this.ns = ns;
        this.url = url;
    }

    /** The value of {@code key}, or null. */
    String get(final String key)
    {
        final JsonNode answer = call("range", "{\"key\":\"" + b64(key) + "\"}");
        final JsonNode kvs = answer.path("kvs");
        return kvs.isArray() && kvs.size() > 0 ? new String(Base64.getDecoder().decode(kvs.get(0).path("value")
            .asText()), StandardCharsets.UTF_8) : null;
    }

    void put(final String key, final String value)
    {
        call("put", "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"}");
    }

    void delete(final String key)
    {
        call("deleterange", "{\"key\":\"" + b64(key) + "\"}");
    }

    private JsonNode call(final String verb, final String body)
    {
        final Result r = BerthHost.inNs(ns, "curl", "-sS", "--max-time", "10", "-X", "POST", url + "/v3/kv/" + verb,
            "-d", body);
        assertTrue(r.ok() && !r.out().contains("\"error\""), () -> "etcd " + verb + ": " + r);
        try
        {
            return BerthHost.JSON.readTree(r.out());
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    private static String b64(final String text)
    {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
