package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.ClientBuilder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * How berthd reaches etcd: its client URLs, and whether it speaks TLS ({@code etcds://}, verified against
 * {@code --store-ca}, with a client certificate for etcd's {@code --client-cert-auth}) and etcd's own
 * authentication ({@code --store-user}, {@code --store-password-file}). Every flag is checked before a
 * connection is tried; each problem is one sentence naming the value and what would be valid. Immutable.
 *
 * @param endpoints    client URLs as jetcd takes them ({@code http://} or {@code https://HOST:PORT}).
 * @param ca           PEM CA bundle that signed etcd's server certificate; null: the JDK's trusted CAs.
 * @param cert         PEM client certificate, or null.
 * @param key          its PEM (PKCS#8) private key, or null.
 * @param user         etcd user name, or null.
 * @param password     that user's password (read from the file), or null.
 */
public record StoreAccess(List<String> endpoints, boolean tls, Path ca, Path cert, Path key, String user,
    String password)
{
    private static final String USAGE = "; give --store etcd://HOST:PORT[,HOST:PORT...] (or etcds:// for TLS), " +
        "e.g. etcd://10.0.0.5:2379";

    /** Plain-text access to {@code endpoints} (tests, and berthd without TLS or a user). */
    public static StoreAccess plain(final List<String> endpoints)
    {
        return new StoreAccess(List.copyOf(endpoints), false, null, null, null, null, null);
    }

    /** Checks the flags as given to berthd; null for an option not given. */
    public static StoreAccess of(final String store, final String ca, final String cert, final String key,
        final String user, final String passwordFile)
    {
        final boolean tls = store.startsWith("etcds://");
        if (!tls && !store.startsWith("etcd://"))
        {
            throw new BerthException("--store " + store + " is not an etcd URL" + USAGE);
        }
        final List<String> endpoints = new ArrayList<>();
        for (final String hostPort : store.substring(store.indexOf("://") + 3).split(",", -1))
        {
            endpoints.add((tls ? "https://" : "http://") + hostPort(store, hostPort));
        }
        if (!tls && (ca != null || cert != null || key != null))
        {
            throw new BerthException("--store-ca, --store-cert and --store-key need TLS: give --store etcds://" +
                store.substring("etcd://".length()));
        }
        if ((cert == null) != (key == null))
        {
            throw new BerthException("--store-cert and --store-key go together: give both (the client certificate " +
                "and its private key) or neither");
        }
        if ((user == null) != (passwordFile == null))
        {
            throw new BerthException("--store-user and --store-password-file go together: give both or neither");
        }
        if (user != null && (user.isBlank() || user.length() > 128))
        {
            throw new BerthException("--store-user \"" + user + "\" is not a user name: give 1..128 characters");
        }
        final String password = passwordFile == null ? null : password(passwordFile);
        return new StoreAccess(List.copyOf(endpoints), tls, readable("--store-ca", ca), readable("--store-cert", cert),
            readable("--store-key", key), user, password);
    }

    /** Applies TLS and authentication to a client about to be built. */
    void configure(final ClientBuilder builder)
    {
        builder.endpoints(endpoints.toArray(new String[0]));
        if (tls)
        {
            try
            {
                builder.sslContext(ssl ->
                {
                    if (ca != null)
                    {
                        ssl.trustManager(ca.toFile());
                    }
                    if (cert != null)
                    {
                        ssl.keyManager(cert.toFile(), key.toFile());
                    }
                });
            }
            catch (final SSLException | IllegalArgumentException ex)
            {
                throw new BerthException("cannot use " + (cert != null ? "--store-cert " + cert + " / --store-key " +
                    key : "--store-ca " + ca) + ": " + ex.getMessage() + " (PEM files; the key in PKCS#8)");
            }
        }
        if (user != null)
        {
            builder.user(ByteSequence.from(user, StandardCharsets.UTF_8));
            builder.password(ByteSequence.from(password, StandardCharsets.UTF_8));
        }
    }

    private static String hostPort(final String store, final String hostPort)
    {
        final int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1)
        {
            throw new BerthException("--store " + store + ": \"" + hostPort + "\" is not HOST:PORT" + USAGE);
        }
        final int port;
        try
        {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new BerthException("--store " + store + ": port \"" + hostPort.substring(colon + 1) +
                "\" is not a number" + USAGE);
        }
        if (port < 1 || port > 65535)
        {
            throw new BerthException("--store " + store + ": port " + port + " is out of range 1..65535");
        }
        return hostPort;
    }

    private static Path readable(final String flag, final String file)
    {
        if (file == null)
        {
            return null;
        }
        final Path path = Path.of(file);
        if (!Files.isRegularFile(path) || !Files.isReadable(path))
        {
            throw new BerthException(flag + " " + file + " is not a readable file: give a PEM file");
        }
        return path;
    }

    private static String password(final String file)
    {
        final Path path = readable("--store-password-file", file);
        try
        {
            final String text = Files.readString(path, StandardCharsets.UTF_8);
            final String password = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            if (password.isEmpty() || password.contains("\n"))
            {
                throw new BerthException("--store-password-file " + file + " holds no password: give a file with " +
                    "the password on its one line");
            }
            return password;
        }
        catch (final IOException ex)
        {
            throw new BerthException("--store-password-file " + file + " cannot be read: " + ex.getMessage());
        }
    }

    @Override
    public String toString()
    {
        return String.join(",", endpoints) + (cert != null ? " (client certificate)" : "") +
            (user != null ? " (user " + user + ")" : ""); // never the password
    }
}
