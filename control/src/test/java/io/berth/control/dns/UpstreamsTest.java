package io.berth.control.dns;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpstreamsTest
{
    @Test
    void upstreamsAreIpv4WithAnOptionalPort()
    {
        assertEquals(List.of(new InetSocketAddress("192.0.2.53", 53), new InetSocketAddress("127.0.0.1", 5353)),
            Upstreams.parse(List.of("192.0.2.53", "127.0.0.1:5353")));
        for (final String bad : List.of("dns.example", "192.0.2.1:0", "192.0.2.1:70000", "192.0.2", "::1", "1.2.3.4:x"))
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Upstreams.parse(List.of(bad)));
            assertTrue(e.getMessage().contains(bad) && e.getMessage().contains("IP[:PORT]"), e.getMessage());
        }
    }

    @Test
    void aliasesAreLabelsAndServersAddresses()
    {
        assertEquals(List.of("web", "db-1"), Upstreams.aliases(List.of("web", "db-1", "web"), "--network-alias"));
        for (final String bad : List.of("-web", "web-", "we_b", "a.b", "", "x".repeat(64)))
        {
            assertThrows(BerthException.class, () -> Upstreams.aliases(List.of(bad), "--network-alias"), bad);
        }
        assertThrows(BerthException.class, () -> Upstreams.servers(List.of("10.0.0.300")));
        assertThrows(BerthException.class, () -> Upstreams.words(List.of("a b"), "--dns-search"));
    }

    @Test
    void resolvConfForEmbeddedAndForTheDefaultBridge() throws Exception
    {
        final Path file = Files.createTempFile("resolv", ".conf");
        try
        {
            Files.writeString(file, "# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch a.test b.test\n" +
                "options edns0 trust-ad\n");
            final ResolvConf host = ResolvConf.read(file);
            assertEquals(List.of(new InetSocketAddress("127.0.0.53", 53), new InetSocketAddress("192.0.2.1", 53)),
                host.upstreams(), "loopback resolvers are berthd's upstreams too");
            final String embedded = host.embedded(new Event.DnsSettings(List.of(), List.of(), List.of(), List.of("attempts:2")));
            assertTrue(embedded.contains("nameserver 127.0.0.11\n") && embedded.contains("search a.test b.test\n")
                && embedded.contains("options ndots:0 attempts:2\n"), embedded);
            final String copy = host.hostCopy(Event.DnsSettings.NONE);
            assertFalse(copy.contains("127.0.0.53"), copy);
            assertTrue(copy.contains("nameserver 192.0.2.1\n") && copy.contains("options edns0 trust-ad"), copy);
            final String own = host.hostCopy(new Event.DnsSettings(List.of(), List.of("198.51.100.1"),
                List.of("c.test"), List.of()));
            assertTrue(own.contains("nameserver 198.51.100.1\n") && !own.contains("192.0.2.1")
                && own.contains("search c.test\n"), own);
            assertTrue(ResolvConf.read(file.resolveSibling("missing-" + System.nanoTime())).upstreams().isEmpty());
        }
        finally
        {
            Files.deleteIfExists(file);
        }
    }
}
