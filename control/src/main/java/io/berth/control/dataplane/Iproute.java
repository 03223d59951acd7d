package io.berth.control.dataplane;

import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.dataplane.flyweight.Ipv4Flyweight;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import io.berth.dataplane.PortTable;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Interface plumbing through iproute2: moving a device into a sandbox, naming it, setting MAC, MTU, address and
 * routes. Control path only (runs processes); every step is idempotent so a restart can re-apply it.
 */
final class Iproute
{
    private Iproute()
    {
    }

    /** @param netns a sandbox name, or null for berthd's own namespace. */
    /** The MTU of a device in berthd's own namespace (the uplink), from sysfs; 1500 when it cannot be read. */
    static int mtu(final String device)
    {
        try
        {
            return Integer.parseInt(Files.readString(
                Path.of("/sys/class/net", device, "mtu")).trim());
        }
        catch (final IOException | NumberFormatException | InvalidPathException e)
        {
            return PortTable.DEFAULT_MTU;
        }
    }

    static boolean linkExists(final String netns, final String ifName) throws IOException
    {
        return netns == null
            ? run(false, "ip", "link", "show", "dev", ifName) == 0
            : run(false, "ip", "-n", netns, "link", "show", "dev", ifName) == 0;
    }

    static void deleteLink(final String device) throws IOException
    {
        run(true, "ip", "link", "del", "dev", device);
    }

    /** The host's end of the host link: its address (a /30 with berthd's side) and MAC, up. */
    static void configureHostLink(final String device, final int hostIp, final long hostMac) throws IOException
    {
        run(true, "ip", "link", "set", "dev", device, "address", EthernetFlyweight.formatMac(hostMac));
        run(true, "ip", "addr", "replace", Ipv4Flyweight.format(hostIp) + "/30", "dev", device);
        run(true, "ip", "link", "set", "dev", device, "up");
    }

    /** berth0's IPv6 address (issue 27), without duplicate address detection: the prefix is berth's own. */
    static void configureHostLink6(final String device, final String cidr) throws IOException
    {
        run(true, "sysctl", "-q", "-w", "net.ipv6.conf." + device + ".disable_ipv6=0");
        run(true, "ip", "-6", "addr", "replace", cidr, "dev", device, "nodad");
    }

    /** An IPv6 route in berthd's namespace to a network, via berthd's side of the host link. */
    static void routeVia6(final String prefix, final String via, final String device) throws IOException
    {
        run(true, "ip", "-6", "route", "replace", prefix, "via", via, "dev", device);
    }

    static void deleteRoute6(final String prefix)
    {
        try
        {
            run(false, "ip", "-6", "route", "del", prefix);
        }
        catch (final IOException ignored)
        {
            // the route went with berth0 already
        }
    }

    /** A route in berthd's namespace to a network, via berthd's side of the host link. */
    static void routeVia(final int subnet, final int prefixLength, final int via, final String device) throws IOException
    {
        run(true, "ip", "route", "replace", Ipv4Flyweight.format(subnet) + "/" + prefixLength,
            "via", Ipv4Flyweight.format(via), "dev", device);
    }

    static void deleteRoute(final int subnet, final int prefixLength)
    {
        try
        {
            run(false, "ip", "route", "del", Ipv4Flyweight.format(subnet) + "/" + prefixLength);
        }
        catch (final IOException ignored)
        {
            // the route went with berth0 already
        }
    }

    /** A TAP a runtime configures (Docker): only its MAC and MTU are berth's, set while it is in berthd's namespace. */
    static void prepareForRuntime(final String device, final long mac, final int mtu) throws IOException
    {
        run(true, "ip", "link", "set", "dev", device, "address", EthernetFlyweight.formatMac(mac), "mtu",
            Integer.toString(mtu));
    }

    /**
     * The name of the link with {@code mac} in the namespace file {@code nsPath} (a runtime's sandbox, not under
     * /run/netns, so entered with nsenter), or null when it has none or the namespace is gone.
     */
    static String linkWithMac(final String nsPath, final long mac) throws IOException
    {
        if (!Files.exists(Path.of(nsPath)))
        {
            return null;
        }
        final String wanted = "link/ether " + EthernetFlyweight.formatMac(mac);
        for (final String line : output("nsenter", "--net=" + nsPath, "ip", "-o", "link", "show").split("\n"))
        {
            final String[] fields = line.split(":\\s+", 3);
            if (fields.length == 3 && line.contains(wanted))
            {
                final String name = fields[1];
                return name.contains("@") ? name.substring(0, name.indexOf('@')) : name;
            }
        }
        return null;
    }

    /** A veth pair: {@code end} in berthd's namespace, up, and {@code ifName} made straight in {@code netns}. */
    static void vethInto(final String end, final String netns, final String ifName, final int mtu) throws IOException
    {
        run(true, "ip", "link", "add", end, "mtu", Integer.toString(mtu), "type", "veth", "peer", "name", ifName,
            "netns", netns);
        run(true, "ip", "link", "set", "dev", end, "up");
    }

    /**
     * Turns the interface's transmit checksum offload off, and with it TSO: an AF_XDP port reads plain frames, so
     * the container's kernel must send complete ones.
     */
    static void transmitOffloadsOff(final String netns, final String ifName) throws IOException
    {
        run(true, "ip", "netns", "exec", netns, "ethtool", "-K", ifName, "tx", "off");
    }

    static void moveInto(final String device, final String netns, final String ifName) throws IOException
    {
        run(true, "ip", "link", "set", "dev", device, "netns", netns);
        run(true, "ip", "-n", netns, "link", "set", "dev", device, "name", ifName);
    }

    static void configure(final EndpointSpec endpoint) throws IOException
    {
        final String ns = endpoint.sandbox();
        final String dev = endpoint.ifName();
        run(true, "ip", "-n", ns, "link", "set", "dev", dev,
            "address", EthernetFlyweight.formatMac(endpoint.mac()), "mtu", Integer.toString(endpoint.mtu()));
        final EndpointSpec.Ipv6 v6 = endpoint.ipv6();
        final boolean ipv4 = v6 == null || !v6.only(); // an IPv6-only network's IPv4 address is berth's bookkeeping
        if (ipv4)
        {
            run(true, "ip", "-n", ns, "addr", "replace",
                Ipv4Flyweight.format(endpoint.ip()) + "/" + endpoint.prefixLength(), "dev", dev);
        }
        if (v6 != null)
        {
            // its link-local address from the MAC (what port security allows), and the global one without DAD:
            // berth hands out each address once
            // addr_gen_mode 1 (none) when berth gives the link-local address itself (ipvlan: a shared MAC's
            // EUI-64 would be every container's)
            run(true, "ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf." + dev + ".disable_ipv6=0",
                "net.ipv6.conf." + dev + ".addr_gen_mode=" + (v6.linkLocal() != 0 ? 1 : 0),
                "net.ipv6.conf." + dev + ".accept_ra=" + (v6.acceptRa() ? 1 : 0));
            if (v6.linkLocal() != 0)
            {
                run(true, "ip", "-n", ns, "-6", "addr", "replace", Ipv6Cidr.format(0xfe80_0000_0000_0000L,
                    v6.linkLocal()) + "/64", "dev", dev, "nodad");
            }
            run(true, "ip", "-n", ns, "-6", "addr", "replace", Ipv6Cidr.format(v6.hi(), v6.lo()) + "/" +
                v6.prefixLength(), "dev", dev, "nodad");
        }
        run(true, "ip", "-n", ns, "link", "set", "dev", dev, "up");
        if (endpoint.defaultRoute())
        {
            if (ipv4)
            {
                run(true, "ip", "-n", ns, "route", "replace", "default",
                    "via", Ipv4Flyweight.format(endpoint.gatewayIp()), "dev", dev);
            }
            if (v6 != null)
            {
                run(true, "ip", "-n", ns, "-6", "route", "replace", "default",
                    "via", Ipv6Cidr.format(v6.gatewayHi(), v6.gatewayLo()), "dev", dev);
            }
        }
    }

    /** A route to {@code address} straight on the sandbox's link (ARP for it on {@code ifName}). */
    static void onLinkRoute(final String netns, final String ifName, final int address) throws IOException
    {
        run(true, "ip", "-n", netns, "route", "replace", Ipv4Flyweight.format(address) + "/32", "dev", ifName,
            "scope", "link");
    }

    /** Whether {@code device} exists in berthd's own namespace. */
    static boolean exists(final String device)
    {
        return Files.exists(Path.of("/sys/class/net", device));
    }

    /** A link with no ARP (ipvlan L3), and when {@code defaultRoute}, the default route straight on it. */
    static void routedLink(final String netns, final String ifName, final boolean defaultRoute) throws IOException
    {
        run(true, "ip", "-n", netns, "link", "set", "dev", ifName, "arp", "off");
        if (defaultRoute)
        {
            run(true, "ip", "-n", netns, "route", "replace", "default", "dev", ifName);
        }
    }

    static void defaultRoute(final String netns, final String ifName, final int gatewayIp) throws IOException
    {
        if (gatewayIp == 0)
        {
            run(true, "ip", "-n", netns, "route", "replace", "default", "dev", ifName);
            return;
        }
        run(true, "ip", "-n", netns, "route", "replace", "default", "via", Ipv4Flyweight.format(gatewayIp), "dev", ifName);
    }

    /**
     * The TAP devices in {@code netns} (null: berthd's own) that still carry the temporary name berth gives a new
     * port ("bt" and 8 hex digits) before it is moved and renamed: a crash between the two left them.
     */
    static List<String> temporaryTaps(final String netns) throws IOException
    {
        final String json = output(netns == null ? new String[] {"ip", "-d", "-j", "link", "show"} :
            new String[] {"ip", "-n", netns, "-d", "-j", "link", "show"});
        final List<String> found = new ArrayList<>();
        for (final JsonNode link : Json.WIRE.readTree(json.isEmpty() ? "[]" : json))
        {
            final String name = link.path("ifname").asText();
            if (TEMPORARY_NAME.matcher(name).matches() && link.path("linkinfo").path("info_kind").asText().equals("tun"))
            {
                found.add(name);
            }
        }
        return found;
    }

    /** Deletes {@code device} in {@code netns} (null: berthd's own). */
    static void deleteLink(final String netns, final String device) throws IOException
    {
        if (netns == null)
        {
            deleteLink(device);
        }
        else
        {
            run(true, "ip", "-n", netns, "link", "del", "dev", device);
        }
    }

    private static final Pattern TEMPORARY_NAME = Pattern.compile("bt[0-9a-f]{8}");

    private static String output(final String... command) throws IOException
    {
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try
        {
            final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0)
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " failed");
            }
            return out;
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + ": interrupted", e);
        }
    }

    /** Runs a command; with {@code check}, a non-zero exit becomes an IOException carrying its stderr. */
    private static int run(final boolean check, final String... command) throws IOException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output;
        try
        {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(10, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": timed out");
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + ": interrupted", e);
        }
        final int exit = process.exitValue();
        if (check && exit != 0)
        {
            throw new IOException(String.join(" ", command) + " failed (exit " + exit + "): " + output);
        }
        return exit;
    }
}
