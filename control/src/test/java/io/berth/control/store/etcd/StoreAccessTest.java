package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code --store*} flags: each problem is one sentence naming the value; nothing is tried before they hold. */
class StoreAccessTest
{
    @TempDir
    Path dir;

    @Test
    void plainAndTlsUrls()
    {
        assertEquals(List.of("http://10.0.0.5:2379", "http://10.0.0.6:2379"),
            StoreAccess.of("etcd://10.0.0.5:2379,10.0.0.6:2379", null, null, null, null, null).endpoints());
        final StoreAccess tls = StoreAccess.of("etcds://10.0.0.5:2379", null, null, null, null, null);
        assertTrue(tls.tls());
        assertEquals(List.of("https://10.0.0.5:2379"), tls.endpoints());
    }

    @Test
    void badValuesAreNamed() throws IOException
    {
        final Path pem = Files.writeString(dir.resolve("c.pem"), "x");
        refused("--store http://x:1 is not an etcd URL", "http://x:1", null, null, null, null, null);
        refused("\"x\" is not HOST:PORT", "etcd://x", null, null, null, null, null);
        refused("port 70000 is out of range", "etcd://x:70000", null, null, null, null, null);
        refused("need TLS", "etcd://x:1", pem.toString(), null, null, null, null);
        refused("go together", "etcds://x:1", null, pem.toString(), null, null, null);
        refused("go together", "etcd://x:1", null, null, null, "user", null);
        refused("--store-ca /nope.pem is not a readable file", "etcds://x:1", "/nope.pem", null, null, null, null);
        final Path empty = Files.writeString(dir.resolve("empty"), "\n");
        refused("holds no password", "etcd://x:1", null, null, null, "u", empty.toString());
    }

    @Test
    void thePasswordComesFromItsFileAndIsNeverShown() throws IOException
    {
        final Path file = Files.writeString(dir.resolve("pw"), "s3cret\n");
        final StoreAccess access = StoreAccess.of("etcd://x:1", null, null, null, "berthd", file.toString());
        assertEquals("s3cret", access.password());
        assertFalse(access.toString().contains("s3cret"), access.toString());
    }

    @Test
    void credentialProblemsAreToldFromAnUnreachableStore()
    {
        assertTrue(CredentialProbe.problem(new RuntimeException("x", new SSLHandshakeException(
            "PKIX path building failed"))).startsWith("TLS with the store failed"));
        assertTrue(CredentialProbe.problem(new RuntimeException("etcdserver: authentication failed, invalid " +
            "user ID or password")).startsWith("the store refused the user"));
        assertNull(CredentialProbe.problem(new RuntimeException("UNAVAILABLE: io exception",
            new ConnectException("Connection refused"))));
    }

    private static void refused(final String part, final String store, final String ca, final String cert,
        final String key, final String user, final String password)
    {
        final BerthException e = assertThrows(BerthException.class, () ->
            StoreAccess.of(store, ca, cert, key, user, password));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
