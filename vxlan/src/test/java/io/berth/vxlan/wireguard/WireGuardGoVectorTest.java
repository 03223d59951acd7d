package io.berth.vxlan.wireguard;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A handshake and a transport message recorded with a real wireguard-go ({@code benchmarks/e2e/record-wireguard-go.sh},
 * {@link RecordWireGuardGoHandshake}): berth's side initiated with fixed keys and timestamp, wireguard-go answered
 * and sealed the echo reply to a ping sent through the session. The keys derived here with the JDK and BouncyCastle
 * primitives must make the same initiation bytes, take wireguard-go's response, and open its transport message to
 * the echo reply the kernel behind it made.
 */
class WireGuardGoVectorTest
{
    private static Map<String, byte[]> vector() throws IOException
    {
        final Map<String, byte[]> values = new HashMap<>();
        try (InputStream in = WireGuardGoVectorTest.class.getResourceAsStream("/wireguard-go-vector.txt"))
        {
            for (final String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n"))
            {
                if (!line.startsWith("#") && line.contains("="))
                {
                    values.put(line.substring(0, line.indexOf('=')), HexFormat.of().parseHex(line.substring(line.indexOf('=') + 1).strip()));
                }
            }
        }
        return values;
    }

    private static Peer wireguardGo()
    {
        final byte[] peerPublic = X25519Keys.publicOf(RecordWireGuardGoHandshake.PEER_PRIVATE);
        return new Peer(peerPublic, X25519Keys.agree(RecordWireGuardGoHandshake.OUR_PRIVATE, peerPublic), 0, 0, 0);
    }

    private static Handshakes ours(final Peer peer)
    {
        final Handshakes handshakes = new Handshakes(RecordWireGuardGoHandshake.OUR_PRIVATE,
            key -> Arrays.equals(key, peer.publicKey) ? peer : null);
        handshakes.fixedEphemeral = RecordWireGuardGoHandshake.OUR_EPHEMERAL;
        handshakes.fixedTimestamp = RecordWireGuardGoHandshake.TIMESTAMP;
        return handshakes;
    }

    @Test
    void theSameInitiationWireGuardGoTookItsResponseAndItsSealedEchoReply() throws IOException
    {
        final Map<String, byte[]> vector = vector();
        assertArrayEquals(vector.get("peer.public"), X25519Keys.publicOf(RecordWireGuardGoHandshake.PEER_PRIVATE));
        assertArrayEquals(vector.get("our.public"), X25519Keys.publicOf(RecordWireGuardGoHandshake.OUR_PRIVATE));
        final Peer peer = wireguardGo();
        final Handshakes handshakes = ours(peer);
        final UnsafeBuffer initiation = new UnsafeBuffer(new byte[Protocol.INITIATION_LENGTH]);
        handshakes.createInitiation(peer, RecordWireGuardGoHandshake.OUR_INDEX, 0, initiation, 0);
        assertArrayEquals(vector.get("initiation"), initiation.byteArray(), "the initiation wireguard-go answered");

        final byte[] response = vector.get("response");
        final Handshakes.Outcome[] outcome = new Handshakes.Outcome[1];
        final Keypair keypair = handshakes.consumeResponse(peer, new UnsafeBuffer(response), 0, response.length, 0,
            outcome);
        assertNotNull(keypair, "wireguard-go's response: " + outcome[0]);
        assertEquals(RecordWireGuardGoHandshake.OUR_INDEX, keypair.localIndex);

        final byte[] reply = vector.get("reply").clone();
        final UnsafeBuffer sealed = new UnsafeBuffer(reply);
        assertEquals(Protocol.TYPE_TRANSPORT, sealed.getInt(0, ByteOrder.LITTLE_ENDIAN));
        assertEquals(RecordWireGuardGoHandshake.OUR_INDEX, sealed.getInt(4, ByteOrder.LITTLE_ENDIAN));
        final long counter = sealed.getLong(8, ByteOrder.LITTLE_ENDIAN);
        assertTrue(new ChaChaPoly().open(keypair.receiveKey, 0, (int)counter, (int)(counter >>> 32), null, 0, 0, sealed,
            16, reply.length - 32, sealed, 16), "wireguard-go's transport message opens with the derived key");
        final byte[] plain = Arrays.copyOfRange(reply, 16, reply.length - 16);
        assertArrayEquals(vector.get("reply.plain"), plain);
        assertEquals(1, plain[9], "an ICMP packet");
        assertEquals(0, plain[20], "an echo reply");
        assertEquals("berth-kat", new String(plain, 28, 9, StandardCharsets.US_ASCII));
    }

    @Test
    void aResponseChangedInAnyByteIsRefused() throws IOException
    {
        final byte[] response = vector().get("response");
        for (int i = 4; i < Protocol.RESPONSE_LENGTH - Protocol.MAC_LENGTH; i++)
        {
            final Peer peer = wireguardGo();
            final Handshakes handshakes = ours(peer);
            handshakes.createInitiation(peer, RecordWireGuardGoHandshake.OUR_INDEX, 0,
                new UnsafeBuffer(new byte[Protocol.INITIATION_LENGTH]), 0);
            final byte[] changed = response.clone();
            changed[i] ^= 0x10;
            final Handshakes.Outcome[] outcome = new Handshakes.Outcome[1];
            final Keypair keypair = handshakes.consumeResponse(peer, new UnsafeBuffer(changed), 0, changed.length, 0,
                outcome);
            if (i >= 8 && i < 12)
            {
                continue; // the receiver index: the caller finds the handshake by it, this takes it as given
            }
            assertNull(keypair, "byte " + i + " changed");
        }
    }
}
