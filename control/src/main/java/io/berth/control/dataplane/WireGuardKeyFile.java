package io.berth.control.dataplane;

import io.berth.control.error.BerthException;
import io.berth.vxlan.wireguard.X25519Keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * This host's static WireGuard key: made at the first start of a berthd that can have overlays, kept in the state
 * dir (base64, as {@code wg genkey} writes it, mode 0600), read again at every later start, so a restart keeps the
 * key its peers know. Start thread.
 */
public final class WireGuardKeyFile
{
    /** The private key (for the dataplane) and the public one (for the store, in base64). */
    public record Identity(byte[] privateKey, String publicKey)
    {
    }

    private WireGuardKeyFile()
    {
    }

    public static Identity loadOrCreate(final Path file)
    {
        try
        {
            if (Files.exists(file))
            {
                final String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
                final byte[] key;
                try
                {
                    key = X25519Keys.decode(text);
                }
                catch (final IllegalArgumentException e)
                {
                    throw new BerthException("WireGuard key file " + file + " is damaged: " + e.getMessage() +
                        "; restore it, or remove it to make a new key (the peers then learn it from the store)");
                }
                return new Identity(key, X25519Keys.encode(X25519Keys.publicOf(key)));
            }
            final byte[] key = X25519Keys.generatePrivate();
            final Path temporary = file.resolveSibling(file.getFileName() + ".new");
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(temporary, X25519Keys.encode(key) + "\n", StandardCharsets.US_ASCII);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            return new Identity(key, X25519Keys.encode(X25519Keys.publicOf(key)));
        }
        catch (final IOException e)
        {
            throw new BerthException("cannot keep this host's WireGuard key in " + file + ": " + e.getMessage());
        }
    }
}
