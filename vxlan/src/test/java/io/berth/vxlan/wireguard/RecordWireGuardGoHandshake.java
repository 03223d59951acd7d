package io.berth.vxlan.wireguard;

import org.agrona.concurrent.UnsafeBuffer;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Records the known-answer vector of {@code WireGuardGoVectorTest} from a real wireguard-go: not a test, a tool run
 * by hand (benchmarks/e2e/record-wireguard-go.sh sets up the namespace and wireguard-go, then runs this in it).
 * berth's side initiates with fixed static and ephemeral keys and a fixed timestamp, so its initiation is the same
 * bytes every time; wireguard-go's response, and the echo reply it seals for the ping berth's side sends through
 * the new session, are printed as hex with everything the test needs. Main thread.
 */
public final class RecordWireGuardGoHandshake
{
    static final byte[] OUR_PRIVATE = fixedKey(1);
    static final byte[] PEER_PRIVATE = fixedKey(101);
    static final byte[] OUR_EPHEMERAL = fixedKey(201);
    static final byte[] TIMESTAMP = HexFormat.of().parseHex("400000006b0a1c00075bcd15");
    static final int OUR_INDEX = 0x1234_5678;
    /** The ICMP echo request sent through the session: 10.77.0.2 -> 10.77.0.1, id 0x29, seq 1, "berth-kat". */
    static final byte[] ECHO_REQUEST = HexFormat.of().parseHex(
        "45000025000040004001" + "0000" + "0a4d00020a4d0001" + "0800" + "0000" + "00290001" + "62657274682d6b6174");

    private RecordWireGuardGoHandshake()
    {
    }

    static byte[] fixedKey(final int seed)
    {
        final byte[] key = new byte[32];
        for (int i = 0; i < 32; i++)
        {
            key[i] = (byte)(seed + i * 7);
        }
        key[0] &= (byte)248;
        key[31] = (byte)((key[31] & 127) | 64);
        return key;
    }

    static byte[] echoRequest()
    {
        final byte[] packet = ECHO_REQUEST.clone();
        putChecksum(packet, 0, 20, 10);
        putChecksum(packet, 20, packet.length - 20, 22);
        return packet;
    }

    private static void putChecksum(final byte[] packet, final int from, final int length, final int at)
    {
        long sum = 0;
        for (int i = 0; i < length; i += 2)
        {
            sum += ((packet[from + i] & 0xFF) << 8) | (i + 1 < length ? packet[from + i + 1] & 0xFF : 0);
        }
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        packet[at] = (byte)(~sum >> 8);
        packet[at + 1] = (byte)~sum;
    }

    /** args: "config" (prints wireguard-go's UAPI configuration), or wireguard-go's UDP port and this side's. */
    public static void main(final String[] args) throws Exception
    {
        if (args[0].equals("config"))
        {
            final HexFormat hex = HexFormat.of();
            System.out.print("set=1\nprivate_key=" + hex.formatHex(PEER_PRIVATE) + "\nlisten_port=51999\n" +
                "replace_peers=true\npublic_key=" + hex.formatHex(X25519Keys.publicOf(OUR_PRIVATE)) +
                "\nendpoint=127.0.0.1:40000\nreplace_allowed_ips=true\nallowed_ip=10.77.0.2/32\n\n");
            return;
        }
        final int peerPort = Integer.parseInt(args[0]);
        final Peer peer = new Peer(X25519Keys.publicOf(PEER_PRIVATE),
            X25519Keys.agree(OUR_PRIVATE, X25519Keys.publicOf(PEER_PRIVATE)), 0, 0, 0);
        final Handshakes handshakes = new Handshakes(OUR_PRIVATE, key -> Arrays.equals(key, peer.publicKey) ? peer : null);
        handshakes.fixedEphemeral = OUR_EPHEMERAL;
        handshakes.fixedTimestamp = TIMESTAMP;
        final UnsafeBuffer initiation = new UnsafeBuffer(new byte[Protocol.INITIATION_LENGTH]);
        handshakes.createInitiation(peer, OUR_INDEX, System.currentTimeMillis(), initiation, 0);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]))))
        {
            socket.setSoTimeout(5000);
            final InetSocketAddress to = new InetSocketAddress("127.0.0.1", peerPort);
            socket.send(new DatagramPacket(initiation.byteArray(), Protocol.INITIATION_LENGTH, to));
            final DatagramPacket response = new DatagramPacket(new byte[2048], 2048);
            socket.receive(response);
            final byte[] responseBytes = Arrays.copyOf(response.getData(), response.getLength());
            final Handshakes.Outcome[] outcome = new Handshakes.Outcome[1];
            final Keypair keypair = handshakes.consumeResponse(peer, new UnsafeBuffer(responseBytes), 0,
                responseBytes.length, System.currentTimeMillis(), outcome);
            if (keypair == null)
            {
                throw new IllegalStateException("wireguard-go's response was refused: " + outcome[0]);
            }
            final byte[] request = echoRequest();
            final int padded = (request.length + 15) & ~15;
            final UnsafeBuffer transport = new UnsafeBuffer(new byte[16 + padded + 16]);
            transport.putInt(0, Protocol.TYPE_TRANSPORT, ByteOrder.LITTLE_ENDIAN);
            transport.putInt(4, keypair.remoteIndex, ByteOrder.LITTLE_ENDIAN);
            transport.putLong(8, 0, ByteOrder.LITTLE_ENDIAN);
            transport.putBytes(16, request);
            new ChaChaPoly().seal(keypair.sendKey, 0, 0, 0, null, 0, 0, transport, 16, padded, transport, 16);
            socket.send(new DatagramPacket(transport.byteArray(), transport.capacity(), to));
            final DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
            socket.receive(reply);
            final byte[] replyBytes = Arrays.copyOf(reply.getData(), reply.getLength());
            final UnsafeBuffer opened = new UnsafeBuffer(replyBytes);
            final long counter = opened.getLong(8, ByteOrder.LITTLE_ENDIAN);
            if (!new ChaChaPoly().open(keypair.receiveKey, 0, (int)counter, (int)(counter >>> 32), null, 0, 0, opened, 16,
                replyBytes.length - 32, opened, 16))
            {
                throw new IllegalStateException("wireguard-go's transport message did not open");
            }
            final HexFormat hex = HexFormat.of();
            System.out.println("initiation=" + hex.formatHex(initiation.byteArray()));
            System.out.println("response=" + hex.formatHex(responseBytes));
            System.out.println("reply=" + hex.formatHex(Arrays.copyOf(reply.getData(), reply.getLength())));
            System.out.println("reply.plain=" + hex.formatHex(Arrays.copyOfRange(replyBytes, 16, replyBytes.length - 16)));
            System.out.println("peer.public=" + hex.formatHex(X25519Keys.publicOf(PEER_PRIVATE)));
            System.out.println("our.public=" + hex.formatHex(X25519Keys.publicOf(OUR_PRIVATE)));
        }
    }
}
