package io.berth.systest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.berth.systest.OverlayLab.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24: berthd and etcd over TLS with client certificates ({@code --client-cert-auth}, certificates this
 * class makes with openssl), and etcd's own authentication. A client without a certificate is refused by etcd
 * while berth works; a berthd with a certificate etcd does not trust, or a wrong password, is refused at start
 * with one line. Two hosts on one TLS etcd; the authentication test runs last (it turns etcd's auth on).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StoreSecurityTest extends OverlayLabTestBase
{
    private static final String ETCD = "https://" + OverlayLab.ETCD_IP + ":2379";
    private BerthHost a;
    private BerthHost b;

    @Override
    protected OverlayLab startLab()
    {
        final OverlayLab started = OverlayLab.start(2, OverlayLab.Etcd.TLS);
        a = started.host(1);
        b = started.host(2);
        return started;
    }

    /** A test that stopped a host's berthd to see its start refused leaves it running again. */
    @Override
    @AfterEach
    void resetAfterTest()
    {
        for (final BerthHost host : List.of(a, b))
        {
            if (!host.running())
            {
                host.startBerthd();
            }
        }
        super.resetAfterTest();
    }

    @Test
    @Order(1)
    void berthWorksOverTlsWhileEtcdRefusesAClientWithoutACertificate()
    {
        final String net = a.prefix() + "tls";
        a.createNetwork(net, "--driver", "overlay", "--subnet", "10.56.0.0/24");
        assertTrue(poll(SEEN, () -> b.berth("network", "ls").out().contains(net)), "host 2 never saw " + net);
        final String c1 = a.run("c1", "--network", net);
        final String c2 = b.run("c2", "--network", net);
        final String ip2 = ipOf(b, c2, net);
        assertTrue(poll(SEEN, () -> ping(c1, ip2)),
            "c1 cannot reach c2 over an overlay whose store speaks TLS\n" + a.logTail());
        // an encrypted overlay too: the WireGuard keys travel through the TLS store
        final String sealed = a.prefix() + "tlse";
        a.createNetwork(sealed, "--driver", "overlay", "-o", "encrypted", "--subnet", "10.57.0.0/24");
        assertTrue(poll(SEEN, () -> b.berth("network", "ls").out().contains(sealed)), "host 2 never saw " + sealed);
        final String e1 = a.run("e1", "--network", sealed);
        final String e2 = b.run("e2", "--network", sealed);
        final String ipE2 = ipOf(b, e2, sealed);
        assertTrue(poll(SEEN, () -> ping(e1, ipE2)), "no encrypted overlay over a TLS store\n" + a.logTail());
        assertTrue(b.inspectNetwork(sealed).path("Encrypted").asBoolean());

        // the same request: refused without a certificate, refused with one etcd's CA did not sign, answered with
        // a host's
        final Result anonymous = curl(List.of());
        assertFalse(anonymous.ok() && anonymous.out().contains("\"header\""), "etcd answered a client without a " +
            "certificate: " + anonymous);
        final Result rogue = curl(List.of("--cert", lab.pki("rogue.pem"), "--key", lab.pki("rogue.key")));
        assertFalse(rogue.ok() && rogue.out().contains("\"header\""), "etcd answered a rogue certificate: " + rogue);
        final Result host = curl(List.of("--cert", lab.pki("node1.pem"), "--key", lab.pki("node1.key")));
        assertTrue(host.ok() && host.out().contains("\"header\""), "etcd refused a host's certificate: " + host);
    }

    @Test
    @Order(2)
    void aCertificateEtcdDoesNotTrustRefusesTheStartWithOneLine()
    {
        b.stopBerthd();
        final Result rogue = b.runBerthdToExitWith(Duration.ofSeconds(60),
            Map.of("--store-cert", lab.pki("rogue.pem"), "--store-key", lab.pki("rogue.key")));
        assertOneLineRefusal(rogue, "TLS");
        // a CA that did not sign etcd's certificate: berthd does not trust etcd
        final Result untrusting = b.runBerthdToExitWith(Duration.ofSeconds(60), Map.of("--store-ca",
            lab.pki("rogueca.pem")));
        assertOneLineRefusal(untrusting, "TLS");
        // a missing file, and a certificate without its key: refused before any connection
        assertOneLineRefusal(b.runBerthdToExitWith(Duration.ofSeconds(30), Map.of("--store-ca", "/nonexistent.pem")),
            "/nonexistent.pem");
        b.startBerthd();
        assertTrue(b.berthOk("network", "ls").ok());
    }

    @Test
    @Order(3)
    void etcdsOwnAuthenticationWithAUserAndPassword() throws IOException
    {
        // users for the hosts' certificates (etcd takes the CN as the user) and a password user, all with
        // read-write on berth's keys only; then auth on
        final String berthKeys = "\"key\":\"" + b64("/berth/") + "\",\"range_end\":\"" + b64("/berth0") + "\"";
        for (final String call : List.of(
            "role/add {\"name\":\"root\"}",
            "user/add {\"name\":\"root\",\"password\":\"r00t-" + a.prefix() + "\"}",
            "user/grant {\"user\":\"root\",\"role\":\"root\"}",
            "role/add {\"name\":\"berth\"}",
            "role/grant {\"name\":\"berth\",\"perm\":{\"permType\":\"READWRITE\"," + berthKeys + "}}",
            "user/add {\"name\":\"node1\",\"options\":{\"no_password\":true}}",
            "user/add {\"name\":\"node2\",\"options\":{\"no_password\":true}}",
            "user/add {\"name\":\"berthd\",\"password\":\"s3cret\"}",
            "user/grant {\"user\":\"node1\",\"role\":\"berth\"}",
            "user/grant {\"user\":\"node2\",\"role\":\"berth\"}",
            "user/grant {\"user\":\"berthd\",\"role\":\"berth\"}",
            "enable {}"))
        {
            final int space = call.indexOf(' ');
            final Result r = BerthHost.inNs(a.hostNs(), "curl", "-sS", "--max-time", "10", "--cacert", lab.pki("ca.pem"),
                "--cert", lab.pki("node1.pem"), "--key", lab.pki("node1.key"), "-X", "POST", ETCD + "/v3/auth/" +
                    call.substring(0, space), "-d", call.substring(space + 1));
            assertTrue(r.ok() && !r.out().contains("\"error\""), call + ": " + r);
        }
        // the running hosts go on under their certificates' names
        final String net = a.prefix() + "auth";
        a.createNetwork(net, "--driver", "overlay", "--subnet", "10.57.0.0/24");
        assertTrue(poll(SEEN, () -> b.berth("network", "ls").out().contains(net)), "host 2 never saw " + net);

        final Path passwords = Files.createTempDirectory("berth-" + b.prefix() + "-pw");
        try
        {
            final Path wrong = Files.writeString(passwords.resolve("wrong"), "not-it\n");
            final Path right = Files.writeString(passwords.resolve("right"), "s3cret\n");
            b.stopBerthd();
            final Result refused = b.runBerthdToExitWith(Duration.ofSeconds(60),
                Map.of("--store-user", "berthd", "--store-password-file", wrong.toString()));
            assertOneLineRefusal(refused, "--store-password-file");
            b.startBerthd(List.of("--store-user", "berthd", "--store-password-file", right.toString()));
            assertTrue(b.berthOk("network", "ls").out().contains(net), "host 2 with the right password");
            final String other = b.prefix() + "pw";
            b.createNetwork(other, "--driver", "overlay", "--subnet", "10.58.0.0/24");
            assertTrue(poll(SEEN, () -> a.berth("network", "ls").out().contains(other)), "host 1 never saw " + other);
            b.stopBerthd();
            b.startBerthd();
        }
        finally
        {
            try (var files = Files.list(passwords))
            {
                for (final Path file : files.toList())
                {
                    Files.delete(file);
                }
            }
            Files.delete(passwords);
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private Result curl(final List<String> identity)
    {
        final List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "--cacert",
            lab.pki("ca.pem")));
        cmd.addAll(identity);
        cmd.addAll(List.of("-X", "POST", ETCD + "/v3/kv/range", "-d", "{\"key\":\"" + b64("/berth/v1/catalog") + "\"}"));
        return BerthHost.inNs(a.hostNs(), cmd.toArray(String[]::new));
    }

    private static void assertOneLineRefusal(final Result result, final String names)
    {
        assertFalse(result.ok(), "berthd started: " + result);
        final List<String> lines = result.output().lines().filter(l -> l.startsWith("berthd:")).toList();
        assertEquals(1, lines.size(), "one line saying why: " + result);
        assertTrue(lines.get(0).contains(names), "the line names " + names + ": " + result);
        assertFalse(result.output().contains("\tat "), "a stack trace: " + result);
    }

    private static String b64(final String text)
    {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

}
