package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

import static io.berth.control.store.etcd.EtcdCalls.key;

/**
 * berthd's first word with the store, before anything changes: credentials etcd refuses stop the start with a
 * sentence naming the flag to check; a store that does not answer does not (berthd retries as after an outage).
 * Start thread.
 */
final class CredentialProbe
{
    private static final System.Logger LOG = System.getLogger(CredentialProbe.class.getName());

    private CredentialProbe()
    {
    }

    /**
     * Tries the store once, with a client of its own that fails at once instead of waiting for a connection.
     * Refused credentials (a certificate etcd or berthd does not accept, a wrong user or password) throw, with a
     * sentence saying which; a store that does not answer is fine here (berthd starts and retries, as after an
     * outage).
     */
    static void check(final StoreAccess access, final Duration timeout)
    {
        final ClientBuilder builder = Client.builder().connectTimeout(timeout).waitForReady(false)
            .retryMaxAttempts(1);
        access.configure(builder);
        try (Client probe = builder.build())
        {
            probe.getKVClient().get(key("catalog")).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException e)
        {
            final String why = problem(e);
            if (why != null)
            {
                throw new BerthException(why);
            }
            LOG.log(System.Logger.Level.DEBUG, "store probe: " + e.getCause());
        }
        catch (final TimeoutException e)
        {
            LOG.log(System.Logger.Level.DEBUG, "store probe: no answer within " + timeout.toMillis() + " ms");
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** What in {@code failure}'s causes says the credentials were refused, or null (unreachable, say). */
    static String problem(final Throwable failure)
    {
        for (Throwable cause = failure; cause != null; cause = cause.getCause())
        {
            final String text = String.valueOf(cause.getMessage());
            final String lower = text.toLowerCase(Locale.ROOT);
            if (cause instanceof SSLException || lower.contains("certificate") ||
                lower.contains("handshake") || lower.contains("pkix"))
            {
                return "TLS with the store failed: " + text + " (check --store-ca, --store-cert and --store-key)";
            }
            if (lower.contains("authentication failed") || lower.contains("invalid user") ||
                lower.contains("permission denied") || lower.contains("user name is empty") ||
                lower.contains("unauthenticated"))
            {
                return "the store refused the user: " + text + " (check --store-user and --store-password-file)";
            }
        }
        return null;
    }
}
