package io.berth.control.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.nio.charset.StandardCharsets;

/**
 * The reset reaches the channel inside this jetcd version: a jetcd upgrade that moves it fails here, not as a
 * berthd that takes minutes to reconnect after an etcd outage.
 */
class ConnectBackoffTest
{
    @Test
    void reachesTheChannelOfThisJetcdVersion() throws Exception
    {
        final int port;
        try (ServerSocket free = new ServerSocket(0))
        {
            port = free.getLocalPort(); // closed again: nothing listens there, so connecting is refused
        }
        try (Client client = Client.builder().endpoints("http://127.0.0.1:" + port)
            .connectTimeout(Duration.ofMillis(500)).build())
        {
            final ConnectBackoff backoff = ConnectBackoff.of(client);
            assertTrue(backoff.reachesChannel());
            assertFalse(backoff.reset(), "no channel before the first call");
            assertThrows(Exception.class, () ->
                client.getKVClient().get(ByteSequence.from("k", StandardCharsets.UTF_8))
                    .get(1, TimeUnit.SECONDS));
            assertTrue(backoff.reset(), "the first call made the channel, and the reset reached it");
        }
    }
}
