package io.berth.control.dns;

import io.berth.control.dataplane.InSandbox;
import io.berth.control.driver.overlay.OverlayDriver;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipv4;
import io.berth.control.service.EndpointEvent;
import io.berth.control.service.EndpointService;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The endpoint service behind Docker-style names: it keeps which container has which address and aliases on which
 * network, rebuilds every sandbox's {@link SandboxNames} at each join and leave (the DNS thread sees the new
 * names from its next query on), opens a sandbox's 127.0.0.11:53 sockets when its first endpoint on a
 * user-defined network joins and closes them when the last leaves, and writes {@code /etc/netns/NAME/resolv.conf}
 * and {@code hosts}, which {@code ip netns exec} (and so {@code berth run} and {@code berth exec}) bind-mounts
 * over /etc. Control thread.
 */
public final class EmbeddedDns implements EndpointService, AutoCloseable,
    OverlayDriver.RemoteEndpoints
{
    /** How a sandbox's sockets are opened: inside its namespace, on the calling thread. */
    @FunctionalInterface
    public interface ListenerFactory
    {
        DnsServer.Listener open(String sandbox) throws IOException;
    }

    private static final System.Logger LOG = System.getLogger("io.berth.control.dns");
    private static final InetSocketAddress ADDRESS = new InetSocketAddress(ResolvConf.EMBEDDED, 53);

    private record Attachment(String network, String networkId, String ifName, int ip, List<String> aliases,
        boolean userDefined, boolean internal, byte[] ip6)
    {
    }

    private static final class Member
    {
        final String sandbox;
        String name;
        String id;
        Event.DnsSettings dns = Event.DnsSettings.NONE;
        final Map<String, Attachment> attachments = new LinkedHashMap<>();
        DnsServer.Listener listener;

        Member(final String sandbox)
        {
            this.sandbox = sandbox;
        }
    }

    private final Map<String, Member> members = new LinkedHashMap<>();
    /** Containers of other hosts on global networks, by store key: named like local ones on those networks. */
    private final Map<String, Remote> remotes = new LinkedHashMap<>();

    private record Remote(String network, String container, int ip, List<String> aliases)
    {
    }

    /** A {@code --link OTHER:ALIAS} as journaled. */
    private record Link(String other, String alias)
    {
        static List<Link> all(final Event.DnsSettings dns)
        {
            return dns.links().stream().map(link ->
            {
                final int colon = link.indexOf(':');
                return colon < 0 ? new Link(link, link) : new Link(link.substring(0, colon), link.substring(colon + 1));
            }).toList();
        }
    }
    private final DnsCounters counters = new DnsCounters();
    private final List<InetSocketAddress> upstreams;
    private final ResolvConf host;
    private final Path etcNetns;
    private final ListenerFactory listeners;
    private volatile Map<String, SandboxNames> names = Map.of();
    private DnsServer server;

    /**
     * @param upstreams where names that are not local go (berthd --dns-upstream, or the host's nameservers).
     * @param host      the host's resolv.conf, for search domains and the default bridge's copy.
     * @param etcNetns  /etc/netns.
     */
    public EmbeddedDns(final List<InetSocketAddress> upstreams, final ResolvConf host, final Path etcNetns,
        final ListenerFactory listeners)
    {
        this.upstreams = List.copyOf(upstreams);
        this.host = host;
        this.etcNetns = etcNetns;
        this.listeners = listeners;
    }

    /** The production service: sockets opened with setns into the sandbox. */
    public static EmbeddedDns inNamespaces(final List<InetSocketAddress> upstreams, final ResolvConf host)
    {
        return new EmbeddedDns(upstreams, host, Path.of("/etc/netns"),
            sandbox -> InSandbox.run(sandbox, () -> DnsServer.open(sandbox, ADDRESS)));
    }

    @Override
    public String name()
    {
        return "embedded-dns";
    }

    public DnsCounters counters()
    {
        return counters;
    }

    public List<InetSocketAddress> upstreams()
    {
        return upstreams;
    }

    /** The names a sandbox sees now (for tests and inspect), null when it has none. */
    public SandboxNames namesOf(final String sandbox)
    {
        return names.get(sandbox);
    }

    @Override
    public void joined(final EndpointEvent endpoint) throws IOException
    {
        if (endpoint.sandbox() == null)
        {
            return;
        }
        final boolean fresh = !members.containsKey(endpoint.sandbox());
        final Member member = members.computeIfAbsent(endpoint.sandbox(), Member::new);
        final Attachment previous = member.attachments.get(endpoint.networkId());
        member.name = endpoint.container();
        member.id = endpoint.containerId();
        member.dns = endpoint.dns();
        member.attachments.put(endpoint.networkId(), new Attachment(endpoint.network(), endpoint.networkId(),
            endpoint.ifName(), endpoint.ip(), endpoint.aliases(), endpoint.userDefined(), endpoint.internal(),
            endpoint.ip6()));
        try
        {
            if (member.listener == null && endpoint.userDefined())
            {
                if (server == null)
                {
                    server = new DnsServer(counters, this::namesOf);
                }
                member.listener = listeners.open(member.sandbox);
                server.listen(member.listener);
            }
            writeFiles(member);
        }
        catch (final IOException | RuntimeException ex)
        {
            // as if it never joined
            if (previous != null)
            {
                member.attachments.put(endpoint.networkId(), previous);
            }
            else
            {
                member.attachments.remove(endpoint.networkId());
            }
            if (member.listener != null && member.attachments.values().stream().noneMatch(Attachment::userDefined))
            {
                server.close(member.listener);
                member.listener = null;
            }
            if (fresh)
            {
                members.remove(member.sandbox);
            }
            throw new IOException("cannot serve DNS at " + ResolvConf.EMBEDDED + ":53 in " + member.sandbox + ": "
                + ex.getMessage(), ex);
        }
        rebuild();
    }

    @Override
    public void left(final EndpointEvent endpoint)
    {
        final Member member = endpoint.sandbox() == null ? null : members.get(endpoint.sandbox());
        if (member == null || member.attachments.remove(endpoint.networkId()) == null)
        {
            return;
        }
        if (member.listener != null && member.attachments.values().stream().noneMatch(Attachment::userDefined))
        {
            server.close(member.listener);
            member.listener = null;
        }
        if (member.attachments.isEmpty())
        {
            members.remove(member.sandbox);
            deleteFiles(member.sandbox);
        }
        else
        {
            try
            {
                writeFiles(member);
            }
            catch (final IOException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "cannot rewrite the DNS files of " + member.sandbox + ": " + ex);
            }
        }
        rebuild();
    }

    @Override
    public void joined(final String key, final String network, final String container, final int ip,
        final List<String> aliases)
    {
        remotes.put(key, new Remote(network, container, ip, List.copyOf(aliases)));
        rebuild();
    }

    @Override
    public void left(final String key)
    {
        if (remotes.remove(key) != null)
        {
            rebuild();
        }
    }

    // ------------------------------------------------------------------------------------------------- names

    /** Every sandbox's names, from scratch: containers sharing a network see each other. */
    private void rebuild()
    {
        // network id -> the members on it
        final Map<String, List<Member>> byNetwork = new HashMap<>();
        for (final Member member : members.values())
        {
            for (final Attachment a : member.attachments.values())
            {
                byNetwork.computeIfAbsent(a.networkId(), k -> new ArrayList<>()).add(member);
            }
        }
        final Map<String, SandboxNames> next = new HashMap<>();
        for (final Member member : members.values())
        {
            if (member.listener == null)
            {
                continue;
            }
            final Map<String, List<Integer>> addresses = new HashMap<>();
            final Map<Integer, String> pointers = new HashMap<>();
            final Map<String, List<byte[]>> addresses6 = new HashMap<>();
            final Map<String, String> pointers6 = new HashMap<>();
            boolean forward = false;
            for (final Attachment mine : member.attachments.values())
            {
                if (!mine.userDefined())
                {
                    continue;
                }
                forward |= !mine.internal();
                for (final Member other : byNetwork.getOrDefault(mine.networkId(), List.of()))
                {
                    final Attachment theirs = other.attachments.get(mine.networkId());
                    final String network = mine.network().toLowerCase(Locale.ROOT);
                    final String name = other.name.toLowerCase(Locale.ROOT);
                    add(addresses, name, theirs.ip());
                    add(addresses, name + "." + network, theirs.ip());
                    if (other.id != null && other.id.length() >= 12)
                    {
                        add(addresses, other.id.substring(0, 12), theirs.ip());
                    }
                    for (final String alias : theirs.aliases())
                    {
                        add(addresses, alias.toLowerCase(Locale.ROOT), theirs.ip());
                        add(addresses, alias.toLowerCase(Locale.ROOT) + "." + network, theirs.ip());
                    }
                    if (theirs.ip() != 0)
                    {
                        pointers.putIfAbsent(theirs.ip(), name + "." + network);
                    }
                    if (theirs.ip6() != null)
                    {
                        // AAAA for the same names, PTR under ip6.arpa
                        add6(addresses6, name, theirs.ip6());
                        add6(addresses6, name + "." + network, theirs.ip6());
                        if (other.id != null && other.id.length() >= 12)
                        {
                            add6(addresses6, other.id.substring(0, 12), theirs.ip6());
                        }
                        for (final String alias : theirs.aliases())
                        {
                            add6(addresses6, alias.toLowerCase(Locale.ROOT), theirs.ip6());
                            add6(addresses6, alias.toLowerCase(Locale.ROOT) + "." + network, theirs.ip6());
                        }
                        pointers6.putIfAbsent(SandboxNames.reverse6(theirs.ip6()), name + "." + network);
                    }
                }
                for (final Remote remote : remotes.values())
                {
                    if (!remote.network().equals(mine.network()))
                    {
                        continue;
                    }
                    final String network = mine.network().toLowerCase(Locale.ROOT);
                    final String name = remote.container().toLowerCase(Locale.ROOT);
                    add(addresses, name, remote.ip());
                    add(addresses, name + "." + network, remote.ip());
                    for (final String alias : remote.aliases())
                    {
                        add(addresses, alias.toLowerCase(Locale.ROOT), remote.ip());
                        add(addresses, alias.toLowerCase(Locale.ROOT) + "." + network, remote.ip());
                    }
                    pointers.putIfAbsent(remote.ip(), name + "." + network);
                }
            }
            // --link OTHER:ALIAS: for this container only, at OTHER's address on a network they share
            for (final Link link : Link.all(member.dns))
            {
                final int ip = sharedAddress(member, link.other());
                if (ip != 0)
                {
                    add(addresses, link.alias().toLowerCase(Locale.ROOT), ip);
                }
            }
            final List<InetSocketAddress> ups = member.dns.servers().isEmpty() ? upstreams
                : member.dns.servers().stream().map(s -> new InetSocketAddress(s, 53)).toList();
            next.put(member.sandbox, new SandboxNames(addresses, pointers, forward, ups, addresses6, pointers6));
        }
        names = Map.copyOf(next);
    }

    private static void add(final Map<String, List<Integer>> addresses, final String name, final int ip)
    {
        final List<Integer> ips = addresses.computeIfAbsent(name, k -> new ArrayList<>()); // the name is ours
        if (ip == 0)
        {
            return; // an endpoint on an IPv6-only network: AAAA only, A an empty answer
        }
        if (!ips.contains(ip))
        {
            ips.add(ip);
        }
    }

    /** The address container {@code otherName} has on a network {@code member} is on too, else 0. */
    private int sharedAddress(final Member member, final String otherName)
    {
        for (final Member other : members.values())
        {
            if (!other.name.equals(otherName))
            {
                continue;
            }
            for (final Attachment a : member.attachments.values())
            {
                final Attachment theirs = other.attachments.get(a.networkId());
                if (theirs != null)
                {
                    return theirs.ip();
                }
            }
        }
        return 0;
    }

    // ------------------------------------------------------------------------------------------------- files

    private void writeFiles(final Member member) throws IOException
    {
        final Attachment eth0 = member.attachments.values().stream()
            .filter(a -> a.ifName().equals("eth0")).findFirst()
            .orElse(member.attachments.values().iterator().next());
        final boolean embedded = member.attachments.values().stream().anyMatch(Attachment::userDefined);
        final Path dir = etcNetns.resolve(member.sandbox);
        Files.createDirectories(dir);
        write(dir.resolve("resolv.conf"), embedded ? host.embedded(member.dns) : host.hostCopy(member.dns));
        final StringBuilder hosts = new StringBuilder("# written by berth\n127.0.0.1\tlocalhost\n"
            + "::1\tlocalhost ip6-localhost ip6-loopback\n");
        hosts.append(Ipv4.format(eth0.ip())).append('\t').append(member.name);
        if (member.id != null && member.id.length() >= 12)
        {
            hosts.append(' ').append(member.id, 0, 12);
        }
        if (member.dns.hostname() != null && !member.dns.hostname().equals(member.name))
        {
            hosts.append(' ').append(member.dns.hostname()); // --hostname: gethostbyname(hostname) finds itself
        }
        hosts.append('\n');
        for (final Link link : Link.all(member.dns))
        {
            final int ip = sharedAddress(member, link.other());
            if (ip != 0)
            {
                hosts.append(Ipv4.format(ip)).append('\t').append(link.alias().equals(link.other()) ? link.other()
                    : link.alias() + " " + link.other()).append('\n');
            }
        }
        write(dir.resolve("hosts"), hosts.toString());
    }

    /** Whole or not at all: a reader never sees half a file. */
    private static void write(final Path file, final String content) throws IOException
    {
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
    }

    private void deleteFiles(final String sandbox)
    {
        final Path dir = etcNetns.resolve(sandbox);
        try
        {
            Files.deleteIfExists(dir.resolve("resolv.conf"));
            Files.deleteIfExists(dir.resolve("hosts"));
            Files.deleteIfExists(dir);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + dir + ": " + ex);
        }
    }

    @Override
    public void close()
    {
        if (server != null)
        {
            server.close();
        }
    }

    private static void add6(final Map<String, List<byte[]>> addresses, final String name, final byte[] address)
    {
        final List<byte[]> list = addresses.computeIfAbsent(name, k -> new ArrayList<>());
        if (list.stream().noneMatch(a -> Arrays.equals(a, address)))
        {
            list.add(address);
        }
    }
}
