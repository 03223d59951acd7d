package io.berth.benchmarks;

import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.vxlan.wireguard.ChaChaPoly;
import io.berth.vxlan.wireguard.WireGuardDevice;
import io.berth.vxlan.wireguard.X25519Keys;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Encrypted overlays' per-packet cost (issue 29), on one thread: ChaCha20-Poly1305 sealing and opening a packet
 * where it lies in the pool ({@code seal}, {@code sealThenOpen}), and a WireGuard device sealing a VXLAN datagram
 * into a transport message for the uplink, headers and padding included ({@code deviceSeal}, its session made by
 * a real handshake with a second device in the setup). Run with {@code -prof gc}: none allocates. A score is
 * packets per second on one core.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WireGuardBenchmark
{
    static final int VTEP_A = Ipv4Flyweight.parse("192.168.50.1");
    static final int VTEP_B = Ipv4Flyweight.parse("192.168.50.2");

    @State(Scope.Thread)
    public static class Rig
    {
        @Param({"64", "1400"})
        public int frameBytes;

        final ChaChaPoly aead = new ChaChaPoly();
        final int[] key = ChaChaPoly.keyWords(new byte[32]);
        PacketPool pool;
        UnsafeBuffer buffer;
        int packet;
        long counter;
        WireGuardDevice device;
        MemoryPort uplink;

        @Setup
        public void setUp()
        {
            pool = new PacketPool(64);
            buffer = pool.buffer();
            packet = pool.allocate();
            final byte[] datagram = vxlanDatagram(frameBytes);
            buffer.putBytes(pool.frameOffset(packet), datagram);
            pool.frameLength(packet, datagram.length);

            // two devices, a handshake between them through memory ports, then A's sends only counted
            final PacketPool poolB = new PacketPool(64);
            final MemoryPort uplinkB = new MemoryPort(1, "uplink");
            uplink = new MemoryPort(1, "uplink");
            device = new WireGuardDevice(pool, vtep -> 0x02_00_00_00_00_01L);
            final WireGuardDevice deviceB = new WireGuardDevice(poolB, vtep -> 0x02_00_00_00_00_02L);
            final byte[] keyA = X25519Keys.generatePrivate();
            final byte[] keyB = X25519Keys.generatePrivate();
            device.identity(keyA);
            deviceB.identity(keyB);
            device.listen(uplink, VTEP_A, WireGuardDevice.DEFAULT_PORT, 0x02_00_00_00_00_0AL);
            deviceB.listen(uplinkB, VTEP_B, WireGuardDevice.DEFAULT_PORT, 0x02_00_00_00_00_0BL);
            device.putPeer(X25519Keys.publicOf(keyB), VTEP_B, VTEP_B, WireGuardDevice.DEFAULT_PORT);
            deviceB.putPeer(X25519Keys.publicOf(keyA), VTEP_A, VTEP_A, WireGuardDevice.DEFAULT_PORT);
            device.seal(packet, VTEP_B); // kept, and the initiation goes out
            deliver(uplink.takeTransmitted(), poolB, deviceB);
            deliver(uplinkB.takeTransmitted(), pool, device);
            if (uplink.takeTransmitted() == null)
            {
                throw new IllegalStateException("no session after the handshake");
            }
            uplink.keepTransmitted(false);
        }

        private static void deliver(final byte[] wire, final PacketPool pool, final WireGuardDevice device)
        {
            final int handle = pool.allocate();
            pool.buffer().putBytes(pool.frameOffset(handle), wire);
            pool.frameLength(handle, wire.length);
            final ByteBuffer view = ByteBuffer.wrap(wire);
            device.receive(handle, pool.frameOffset(handle) + 42, (view.getShort(38) & 0xFFFF) - 8, view.getInt(26),
                view.getShort(34) & 0xFFFF);
            pool.release(handle);
        }
    }

    static byte[] vxlanDatagram(final int frameBytes)
    {
        final int ipLength = 20 + 8 + 8 + frameBytes;
        final ByteBuffer b = ByteBuffer.allocate(14 + ipLength);
        b.put(new byte[] {2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 8}).putShort((short)0x0800);
        b.put((byte)0x45).put((byte)0).putShort((short)ipLength).putInt(0x4000).put((byte)64).put((byte)17)
            .putShort((short)0).putInt(VTEP_A).putInt(VTEP_B);
        b.putShort((short)50000).putShort((short)4789).putShort((short)(ipLength - 20)).putShort((short)0);
        b.put((byte)0x08).put(new byte[3]).putInt(42 << 8);
        return b.array();
    }

    @Benchmark
    public int seal(final Rig rig)
    {
        final long n = rig.counter++;
        final int at = rig.pool.frameOffset(rig.packet) + 14;
        final int length = (rig.pool.frameLength(rig.packet) - 14 + 15) & ~15;
        rig.aead.seal(rig.key, 0, (int)n, (int)(n >>> 32), null, 0, 0, rig.buffer, at, length, rig.buffer, at);
        return length;
    }

    @Benchmark
    public boolean sealThenOpen(final Rig rig)
    {
        final long n = rig.counter++;
        final int at = rig.pool.frameOffset(rig.packet) + 14;
        final int length = (rig.pool.frameLength(rig.packet) - 14 + 15) & ~15;
        rig.aead.seal(rig.key, 0, (int)n, (int)(n >>> 32), null, 0, 0, rig.buffer, at, length, rig.buffer, at);
        return rig.aead.open(rig.key, 0, (int)n, (int)(n >>> 32), null, 0, 0, rig.buffer, at, length, rig.buffer, at);
    }

    @Benchmark
    public boolean deviceSeal(final Rig rig)
    {
        return rig.device.seal(rig.packet, VTEP_B);
    }
}
