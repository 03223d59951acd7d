package io.berth.control;

import io.berth.control.dataplane.UplinkSpec;
import io.berth.control.error.BerthException;
import io.berth.control.flowlog.FlowLog;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.journal.OwnerOnly;
import io.berth.control.metrics.MetricsServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * berthd's start options checked once, before anything is changed: each problem is one sentence naming the flag,
 * its value and what would be valid (the caller prints it and exits 1). Any thread; no state.
 */
final class StartChecks
{
    private StartChecks()
    {
    }

    /** The state dir exists as a writable directory afterwards, or one sentence says why it cannot. */
    static void checkStateDir(final Path state)
    {
        if (Files.exists(state) && !Files.isDirectory(state))
        {
            throw new BerthException("state dir " + state + " is a file, not a directory; give --state-dir a " +
                "directory (it is made when missing)");
        }
        try
        {
            Files.createDirectories(state);
        }
        catch (final IOException ex)
        {
            throw new BerthException("cannot create state dir " + state + " (" + ex.getClass().getSimpleName() +
                ": " + ex.getMessage() + "); give --state-dir a directory berthd may create and write");
        }
        if (!Files.isWritable(state))
        {
            throw new BerthException("state dir " + state + " is not writable (a read-only file system, or its " +
                "permissions); give --state-dir a writable directory");
        }
        try
        {
            OwnerOnly.tree(state); // tracked connections and NAT bindings are nobody else's to read
        }
        catch (final IOException ex)
        {
            throw new BerthException("cannot make state dir " + state + " readable by its owner only (" +
                ex.getMessage() + "); give --state-dir a directory on a POSIX file system");
        }
    }


    static Duration flowLogRetention(final boolean flowLog, final boolean starts, final String retention,
        final boolean userspace)
    {
        if (starts && !flowLog)
        {
            throw new IllegalArgumentException("--flow-log-start needs --flow-log");
        }
        if (flowLog && !userspace)
        {
            throw new IllegalArgumentException("--flow-log needs the userspace dataplane");
        }
        return FlowLog.parseRetention(retention);
    }

    /** Refuses a --metrics-addr that is malformed or already taken, before berthd changes anything. */
    static void probeFree(final String address)
    {
        final int colon = MetricsServer.parse(address);
        try (ServerSocket probe = new ServerSocket())
        {
            probe.bind(new InetSocketAddress(address.substring(0, colon),
                Integer.parseInt(address.substring(colon + 1))));
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("--metrics-addr " + address + " cannot be bound: " + ex.getMessage() +
                " (another program on that port, or an address berthd's namespace does not have)");
        }
    }

    static String hostname()
    {
        try
        {
            final String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            return name.isEmpty() ? "localhost" : name;
        }
        catch (final IOException ex)
        {
            return "localhost";
        }
    }

    /** {@code --wg-port}: a UDP port other than VXLAN's two. */
    static int wgPort(final int port)
    {
        if (port < 1 || port > 65535 || port == 4789 || port == 8472)
        {
            throw new BerthException("--wg-port " + port + " is not valid: give a UDP port 1..65535 other than " +
                "VXLAN's 4789 and 8472 (WireGuard's own is 51820, the default)");
        }
        return port;
    }

    static String checkNodeName(final String name)
    {
        if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}"))
        {
            throw new BerthException("--node " + name + " is not a valid name: letters, digits, '_', '.' or '-', " +
                "starting with a letter or digit, at most 63 characters");
        }
        return name;
    }

    /**
     * Adds {@code --uplink-ip6 ADDRESS/PREFIX} and {@code --uplink-gateway6 ADDRESS} (issue 27) to the uplink: a
     * global or unique-local address (not link-local, multicast, loopback, IPv4-mapped), a prefix of 1-128, and a
     * gateway that is link-local (as routers' usually are) or inside that prefix and not the address itself.
     */
    static UplinkSpec withIpv6(final UplinkSpec spec, final String cidr, final String gateway)
    {
        return withIpv6(spec, cidr, gateway, false);
    }

    /** {@link #withIpv6(UplinkSpec, String, String)}; {@code checkInterface}: the uplink holds no global kernel IPv6 address. */
    static UplinkSpec withIpv6(final UplinkSpec spec, final String cidr, final String gateway,
        final boolean checkInterface)
    {
        if (cidr == null || cidr.isEmpty())
        {
            if (gateway != null && !gateway.isEmpty())
            {
                throw new BerthException("--uplink-gateway6 " + gateway + " needs --uplink-ip6 ADDRESS/PREFIX");
            }
            return spec;
        }
        if (spec == null)
        {
            throw new BerthException("--uplink-ip6 and --uplink-gateway6 need --uplink IFACE");
        }
        final int slash = cidr.indexOf('/');
        final String prefixText = slash < 0 ? "" : cidr.substring(slash + 1);
        if (slash < 0 || !prefixText.matches("[0-9]{1,3}") || Integer.parseInt(prefixText) < 1
            || Integer.parseInt(prefixText) > 128)
        {
            throw new BerthException("--uplink-ip6 " + cidr + ": give ADDRESS/PREFIX with a prefix length of 1-128, " +
                "e.g. 2001:db8:99::1/64");
        }
        final long[] address = Ipv6Cidr.parseAddress(cidr.substring(0, slash), "--uplink-ip6");
        final String reserved = new Ipv6Cidr(address[0], address[1], 128).reserved();
        if (reserved != null)
        {
            throw new BerthException("--uplink-ip6 " + cidr + " is in " + reserved + ": give a global or " +
                "unique-local address, e.g. 2001:db8:99::1/64");
        }
        final int prefix = Integer.parseInt(prefixText);
        long[] next = null;
        if (gateway != null && !gateway.isEmpty())
        {
            next = Ipv6Cidr.parseAddress(gateway, "--uplink-gateway6");
            final boolean linkLocal = (next[0] >>> 54) == (0xfe80L >>> 6);
            final Ipv6Cidr subnet = new Ipv6Cidr(address[0] & Ipv6Cidr.maskHi(prefix), address[1] & Ipv6Cidr.maskLo(prefix),
                prefix);
            if (!linkLocal && !subnet.contains(next[0], next[1]))
            {
                throw new BerthException("--uplink-gateway6 " + gateway + " is neither link-local (fe80::/10) nor " +
                    "inside the uplink prefix " + subnet + " (from --uplink-ip6 " + cidr + ")");
            }
            if (next[0] == address[0] && next[1] == address[1])
            {
                throw new BerthException("--uplink-gateway6 " + gateway + " is the uplink address itself");
            }
        }
        if (checkInterface)
        {
            final String global = runIp("-o", "-6", "addr", "show", "dev", spec.iface(), "scope", "global");
            if (!global.isBlank())
            {
                final String[] words = global.trim().split("\\s+");
                throw new BerthException("--uplink " + spec.iface() + " holds the kernel IPv6 address " +
                    (words.length > 3 ? words[3] : global.trim()) + "; with --uplink-ip6 berthd owns the uplink's " +
                    "IPv6 address itself: remove it (ip -6 addr flush dev " + spec.iface() + " scope global)");
            }
        }
        return new UplinkSpec(spec.iface(), spec.ip(), spec.prefixLength(), spec.gateway(), address, prefix, next);
    }

    /**
     * Checks the uplink options: --uplink-ip a well-formed address/prefix that is not the subnet's network or
     * broadcast address, the gateway inside that subnet, the interface present in berthd's namespace (when
     * {@code checkInterface}) and holding no kernel IPv4 address. Null without --uplink.
     */
    static UplinkSpec uplinkSpec(final String iface, final String cidr, final String gateway,
        final boolean checkInterface)
    {
        if (iface == null || iface.isEmpty())
        {
            if (cidr != null || gateway != null)
            {
                throw new BerthException("--uplink-ip and --uplink-gateway need --uplink IFACE");
            }
            return null;
        }
        if (cidr == null || cidr.isEmpty())
        {
            throw new BerthException("--uplink " + iface + " needs --uplink-ip ADDRESS/PREFIX (the address berthd " +
                "owns there, e.g. 10.99.0.1/24)");
        }
        final int slash = cidr.indexOf('/');
        if (slash < 0)
        {
            throw new BerthException("--uplink-ip " + cidr + " has no prefix length; give ADDRESS/PREFIX, e.g. " +
                cidr + "/24");
        }
        final int ip;
        try
        {
            ip = Ipv4.parse(cidr.substring(0, slash), "--uplink-ip");
        }
        catch (final BerthException ex)
        {
            throw new BerthException("--uplink-ip " + cidr + ": " + ex.getMessage());
        }
        final String prefixText = cidr.substring(slash + 1);
        if (!prefixText.matches("[0-9]{1,2}") || Integer.parseInt(prefixText) < 1 ||
            Integer.parseInt(prefixText) > 32)
        {
            throw new BerthException("--uplink-ip " + cidr + ": prefix length \"" + prefixText + "\" must be 1-32");
        }
        final int prefix = Integer.parseInt(prefixText);
        final Cidr subnet = new Cidr(ip & Cidr.mask(prefix), prefix);
        if (prefix <= 30 && (ip == subnet.network() || ip == subnet.last()))
        {
            throw new BerthException("--uplink-ip " + cidr + " is the " + (ip == subnet.network() ? "network" :
                "broadcast") + " address of " + subnet + "; give a host address");
        }
        int gatewayIp = 0;
        if (gateway != null && !gateway.isEmpty())
        {
            try
            {
                gatewayIp = Ipv4.parse(gateway, "--uplink-gateway");
            }
            catch (final BerthException ex)
            {
                throw new BerthException("--uplink-gateway " + gateway + ": " + ex.getMessage());
            }
            if (!subnet.contains(gatewayIp))
            {
                throw new BerthException("--uplink-gateway " + gateway + " is not inside the uplink subnet " + subnet +
                    " (from --uplink-ip " + cidr + ")");
            }
            if (gatewayIp == ip)
            {
                throw new BerthException("--uplink-gateway " + gateway + " is the uplink address itself");
            }
        }
        if (checkInterface)
        {
            // netlink through iproute2, not NetworkInterface: the JDK only lists interfaces that hold an address,
            // and an uplink is supposed to hold none
            if (runIp("link", "show", "dev", iface).isEmpty())
            {
                throw new BerthException("--uplink " + iface + ": no such interface in berthd's network namespace " +
                    "(ip link show)");
            }
            final String ipv4 = runIp("-o", "-4", "addr", "show", "dev", iface);
            if (!ipv4.isBlank())
            {
                final String[] words = ipv4.trim().split("\\s+");
                throw new BerthException("--uplink " + iface + " holds the kernel address " +
                    (words.length > 3 ? words[3] : ipv4.trim()) + "; berthd owns the uplink address itself: remove " +
                    "it (ip addr flush dev " + iface + ") or give another interface");
            }
        }
        return new UplinkSpec(iface, ip, prefix, gatewayIp);
    }

    /** Output of `ip ARGS...`, or "" when it fails. */
    static String runIp(final String... args) throws BerthException
    {
        final List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(args));
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.waitFor() == 0 ? output : "";
        }
        catch (final IOException ex)
        {
            throw new BerthException("cannot run ip " + String.join(" ", args) + ": " + ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new BerthException("interrupted running ip " + String.join(" ", args));
        }
    }
}
