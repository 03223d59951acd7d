package io.berth.vxlan.wireguard;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChaChaPolyTest
{
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void rfc8439AeadVector()
    {
        // RFC 8439 section 2.8.2
        final byte[] key = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        final byte[] nonce = HEX.parseHex("070000004041424344454647");
        final byte[] aad = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
        final byte[] plain = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
            + "future, sunscreen would be it.").getBytes();
        final byte[] expected = HEX.parseHex(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
                + "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                + "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691");
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
        buffer.putBytes(10, plain);
        final ByteBuffer n = ByteBuffer.wrap(nonce).order(ByteOrder.LITTLE_ENDIAN);
        final ChaChaPoly aead = new ChaChaPoly();
        aead.seal(ChaChaPoly.keyWords(key), n.getInt(0), n.getInt(4), n.getInt(8), new UnsafeBuffer(aad), 0, aad.length,
            buffer, 10, plain.length, buffer, 10);
        final byte[] sealed = new byte[plain.length + 16];
        buffer.getBytes(10, sealed);
        assertArrayEquals(expected, sealed);
        assertTrue(aead.open(ChaChaPoly.keyWords(key), n.getInt(0), n.getInt(4), n.getInt(8), new UnsafeBuffer(aad), 0,
            aad.length, buffer, 10, plain.length, buffer, 10));
        final byte[] opened = new byte[plain.length];
        buffer.getBytes(10, opened);
        assertArrayEquals(plain, opened);
    }

    @Test
    void agreesWithTheJdkAndRefusesAnyFlippedBit() throws Exception
    {
        final Random random = new Random(29);
        final ChaChaPoly aead = new ChaChaPoly();
        for (int round = 0; round < 400; round++)
        {
            final byte[] key = new byte[32];
            random.nextBytes(key);
            final int length = round < 100 ? round : random.nextInt(3000);
            final byte[] plain = new byte[length];
            random.nextBytes(plain);
            final byte[] aad = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(40)];
            random.nextBytes(aad);
            final long counter = random.nextLong();
            final byte[] nonce = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putLong(counter).array();

            final Cipher jdk = Cipher.getInstance("ChaCha20-Poly1305");
            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
            jdk.updateAAD(aad);
            final byte[] expected = jdk.doFinal(plain);

            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
            final int at = random.nextInt(64);
            buffer.putBytes(at, plain);
            final int[] words = ChaChaPoly.keyWords(key);
            final UnsafeBuffer out = new UnsafeBuffer(new byte[4096]);
            aead.seal(words, 0, (int)counter, (int)(counter >>> 32), new UnsafeBuffer(aad), 0, aad.length, buffer, at,
                length, out, 3);
            final byte[] sealed = new byte[length + 16];
            out.getBytes(3, sealed);
            assertArrayEquals(expected, sealed, "length " + length);

            assertTrue(aead.open(words, 0, (int)counter, (int)(counter >>> 32), new UnsafeBuffer(aad), 0, aad.length,
                out, 3, length, out, 3));
            final byte[] opened = new byte[length];
            out.getBytes(3, opened);
            assertArrayEquals(plain, opened);

            out.putBytes(3, sealed);
            final int flip = random.nextInt(length + 16);
            out.putByte(3 + flip, (byte)(out.getByte(3 + flip) ^ (1 << random.nextInt(8))));
            assertFalse(aead.open(words, 0, (int)counter, (int)(counter >>> 32), new UnsafeBuffer(aad), 0, aad.length,
                out, 3, length, out, 3), "a flipped bit at " + flip + " of " + length);
            assertFalse(aead.open(words, 0, (int)counter + 1, (int)(counter >>> 32), new UnsafeBuffer(aad), 0,
                aad.length, new UnsafeBuffer(sealed), 0, length, out, 3), "another counter");
        }
    }

    @Test
    void hChaCha20Vector()
    {
        // draft-irtf-cfrg-xchacha section 2.2.1
        final byte[] key = HEX.parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        final byte[] nonce = HEX.parseHex("000000090000004a0000000031415927");
        final int[] subkey = new int[8];
        new ChaChaPoly().hChaCha20(ChaChaPoly.keyWords(key), new UnsafeBuffer(nonce), 0, subkey);
        final ByteBuffer out = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (final int word : subkey)
        {
            out.putInt(word);
        }
        assertArrayEquals(HEX.parseHex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"), out.array());
    }
}
