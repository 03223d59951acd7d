package io.berth.control.dns;

import io.berth.control.event.Event;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's resolv.conf, read once at start, and the resolv.conf each sandbox gets. Stateless apart from what
 * it read; control thread.
 */
public final class ResolvConf
{
    public static final String EMBEDDED = "127.0.0.11";

    private final List<String> nameservers;
    private final List<String> search;
    private final List<String> options;

    private ResolvConf(final List<String> nameservers, final List<String> search, final List<String> options)
    {
        this.nameservers = List.copyOf(nameservers);
        this.search = List.copyOf(search);
        this.options = List.copyOf(options);
    }

    /** Reads {@code file}; a missing or unreadable one is a host without resolvers. */
    public static ResolvConf read(final Path file)
    {
        final List<String> servers = new ArrayList<>();
        final List<String> search = new ArrayList<>();
        final List<String> options = new ArrayList<>();
        try
        {
            for (final String raw : Files.readAllLines(file, StandardCharsets.UTF_8))
            {
                final String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#") || line.startsWith(";"))
                {
                    continue;
                }
                final String[] words = line.split("\\s+");
                switch (words[0])
                {
                    case "nameserver" -> { if (words.length > 1) servers.add(words[1]); }
                    case "search", "domain" -> { search.clear(); search.addAll(List.of(words).subList(1, words.length)); }
                    case "options" -> options.addAll(List.of(words).subList(1, words.length));
                    default -> { }
                }
            }
        }
        catch (final IOException | RuntimeException unreadable)
        {
            // no resolvers
        }
        return new ResolvConf(servers, search, options);
    }

    public List<String> nameservers()
    {
        return nameservers;
    }

    /** berthd's default upstreams: the host's nameservers, loopback ones included (berthd asks from its namespace). */
    public List<InetSocketAddress> upstreams()
    {
        final List<InetSocketAddress> upstreams = new ArrayList<>();
        for (final String server : nameservers)
        {
            if (server.indexOf(':') < 0) // IPv4 only: the forwarding socket is IPv4
            {
                upstreams.add(new InetSocketAddress(server, 53));
            }
        }
        return upstreams;
    }

    /** For a sandbox on a user-defined network: the embedded DNS, the search domains and ndots:0. */
    public String embedded(final Event.DnsSettings dns)
    {
        final StringBuilder out = new StringBuilder("# written by berth: names of containers on this container's "
            + "networks are answered at " + EMBEDDED + ", others are forwarded\n");
        out.append("nameserver ").append(EMBEDDED).append('\n');
        final List<String> domains = dns.search().isEmpty() ? search : dns.search();
        if (!domains.isEmpty())
        {
            out.append("search ").append(String.join(" ", domains)).append('\n');
        }
        final List<String> opts = new ArrayList<>(List.of("ndots:0"));
        opts.addAll(dns.options());
        out.append("options ").append(String.join(" ", opts)).append('\n');
        return out.toString();
    }

    /**
     * For a sandbox only on the default bridge (no embedded DNS, as Docker): the host's resolvers without loopback
     * ones (they would not answer inside the sandbox), or the container's --dns servers.
     */
    public String hostCopy(final Event.DnsSettings dns)
    {
        final StringBuilder out = new StringBuilder("# written by berth: the host's resolvers (loopback ones left out)\n");
        final List<String> servers = new ArrayList<>();
        if (!dns.servers().isEmpty())
        {
            servers.addAll(dns.servers());
        }
        else
        {
            for (final String server : nameservers)
            {
                if (!server.startsWith("127.") && !server.equals("::1"))
                {
                    servers.add(server);
                }
            }
        }
        servers.forEach(s -> out.append("nameserver ").append(s).append('\n'));
        final List<String> domains = dns.search().isEmpty() ? search : dns.search();
        if (!domains.isEmpty())
        {
            out.append("search ").append(String.join(" ", domains)).append('\n');
        }
        final List<String> opts = new ArrayList<>(options);
        opts.addAll(dns.options());
        if (!opts.isEmpty())
        {
            out.append("options ").append(String.join(" ", opts)).append('\n');
        }
        return out.toString();
    }
}
