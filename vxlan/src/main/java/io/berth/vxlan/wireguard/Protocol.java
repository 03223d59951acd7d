package io.berth.vxlan.wireguard;

import java.nio.charset.StandardCharsets;

/**
 * WireGuard's constants (the whitepaper, section 6.1, and wireguard-go's): message types and layouts, timers,
 * limits. Constants.
 */
public final class Protocol
{
    public static final byte[] CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

    public static final int TYPE_INITIATION = 1;
    public static final int TYPE_RESPONSE = 2;
    public static final int TYPE_COOKIE_REPLY = 3;
    public static final int TYPE_TRANSPORT = 4;

    /** type(4) sender(4) ephemeral(32) static(32+16) timestamp(12+16) mac1(16) mac2(16). */
    public static final int INITIATION_LENGTH = 148;
    /** type(4) sender(4) receiver(4) ephemeral(32) empty(0+16) mac1(16) mac2(16). */
    public static final int RESPONSE_LENGTH = 92;
    /** type(4) receiver(4) nonce(24) cookie(16+16). */
    public static final int COOKIE_REPLY_LENGTH = 64;
    /** type(4) receiver(4) counter(8), then the sealed packet and its tag. */
    public static final int TRANSPORT_HEADER_LENGTH = 16;
    public static final int TRANSPORT_OVERHEAD = TRANSPORT_HEADER_LENGTH + ChaChaPoly.TAG_LENGTH;
    public static final int KEY_LENGTH = 32;
    public static final int MAC_LENGTH = 16;
    public static final int TIMESTAMP_LENGTH = 12;

    public static final long REKEY_AFTER_MESSAGES = 1L << 60;
    /** 2^64 - 2^13 - 1 as an unsigned counter: beyond any signed long, so the signed bound below is used. */
    public static final long REJECT_AFTER_MESSAGES = Long.MAX_VALUE - (1L << 13);
    public static final long REKEY_AFTER_TIME_MS = 120_000;
    public static final long REJECT_AFTER_TIME_MS = 180_000;
    public static final long REKEY_ATTEMPT_TIME_MS = 90_000;
    public static final long REKEY_TIMEOUT_MS = 5_000;
    public static final long KEEPALIVE_TIMEOUT_MS = 10_000;
    /** How long a cookie from a peer may be used for mac2, and how often the cookie secret changes. */
    public static final long COOKIE_LIFETIME_MS = 120_000;
    /** Initiations from one peer closer together than this are dropped (wireguard-go's flood guard). */
    public static final long INITIATION_MIN_GAP_MS = 20;

    private Protocol()
    {
    }
}
