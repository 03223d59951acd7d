package io.berth.control.state;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Random identifiers: 64-hex ids as Docker shows them, and TAP device names. Thread-safe. */
public class Ids
{
    private final SecureRandom random = new SecureRandom();

    /** A 64-hex-character id (256 random bits). */
    public String newId()
    {
        final byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** "bt" and 8 hex digits: unique enough per host, within IFNAMSIZ (15). */
    public String newDeviceName()
    {
        final byte[] bytes = new byte[4];
        random.nextBytes(bytes);
        return "bt" + HexFormat.of().formatHex(bytes);
    }
}
