package io.berth.control.driver.overlay;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code -o} options of an overlay network: {@code vni} (left out: the store picks the lowest free from 4096),
 * {@code vxlan.port} (4789, or Linux's 8472 for kernel and flannel peers), {@code vxlan.peers} (VTEPs outside
 * the store, such as a kernel VXLAN device, that get a tunnel too), {@code mtu} (1450: the underlay's 1500
 * less the 50 bytes of encapsulation), {@code encrypted} (every datagram inside WireGuard between the hosts; the
 * MTU then defaults to 1390, 60 bytes less) and {@code encrypted.peers} (the WireGuard keys and endpoints of
 * listed VTEPs outside the store). Journaled normalised; immutable.
 *
 * @param vni            0 until the store has chosen one.
 * @param peers          underlay addresses.
 * @param encryptedPeers the keys of listed VTEPs; each of them is in {@code peers} too.
 * @param ipv6Subnet     a dual-stack network's IPv6 subnet ({@code ipv6.subnet}, as the store keeps it), or null.
 */
public record OverlayOptions(int vni, int udpPort, List<Integer> peers, int mtu, boolean encrypted,
                             List<ListedPeer> encryptedPeers, String ipv6Subnet, String ipv6Gateway)
{
    public OverlayOptions(final int vni, final int udpPort, final List<Integer> peers, final int mtu,
        final boolean encrypted, final List<ListedPeer> encryptedPeers)
    {
        this(vni, udpPort, peers, mtu, encrypted, encryptedPeers, null, null);
    }

    /** A WireGuard peer outside the store: its public key (base64), its VTEP address and its WireGuard port. */
    public record ListedPeer(String publicKey, int vtep, int port)
    {
        String text()
        {
            return publicKey + "@" + Ipv4.format(vtep) + ":" + port;
        }
    }

    public static final int DEFAULT_MTU = 1450;
    /** WireGuard's outer IPv4, UDP, message header and tag, on top of VXLAN's 50 bytes. */
    public static final int WIREGUARD_OVERHEAD = 60;
    public static final int DEFAULT_ENCRYPTED_MTU = DEFAULT_MTU - WIREGUARD_OVERHEAD;
    public static final int DEFAULT_WIREGUARD_PORT = 51820;
    public static final int DEFAULT_PORT = 4789;
    public static final int LINUX_PORT = 8472;
    public static final int MIN_MTU = 68;
    /** A 9000-byte underlay less the encapsulation. */
    public static final int MAX_MTU = 8950;
    public static final int MAX_VNI = 0xFFFFFF;
    private static final String VALID = "valid options: vni=1.." + MAX_VNI + ", vxlan.port=" + DEFAULT_PORT + "|" +
        LINUX_PORT + ", vxlan.peers=IP[,IP...], mtu=" + MIN_MTU + ".." + MAX_MTU + " (" +
        (MAX_MTU - WIREGUARD_OVERHEAD) + " encrypted), encrypted[=true|false], encrypted.peers=PUBKEY@IP[:PORT][,...]" +
        " (also com.docker.network.driver.overlay.vxlanid_list, com.docker.network.driver.mtu)";

    public static OverlayOptions parse(final List<String> options)
    {
        int vni = 0;
        int port = DEFAULT_PORT;
        int mtu = 0;
        boolean encrypted = false;
        String ipv6Subnet = null;
        String ipv6Gateway = null;
        final List<Integer> peers = new ArrayList<>();
        final List<ListedPeer> listed = new ArrayList<>();
        for (final String given : options == null ? List.<String>of() : options)
        {
            final String option = given.equals("encrypted") ? "encrypted=true" : given; // Docker's --opt encrypted
            final int equals = option.indexOf('=');
            if (equals <= 0)
            {
                throw new BerthException("invalid option \"" + option + "\": expected KEY=VALUE; " + VALID);
            }
            final String key = option.substring(0, equals);
            final String value = option.substring(equals + 1);
            switch (key)
            {
                case "vni", "com.docker.network.driver.overlay.vxlanid_list" ->
                    vni = number(key, value, 1, MAX_VNI);
                case "vxlan.port" ->
                {
                    port = number(key, value, 1, 65535);
                    if (port != DEFAULT_PORT && port != LINUX_PORT)
                    {
                        throw new BerthException("invalid vxlan.port " + value + ": berth's VTEP takes " +
                            DEFAULT_PORT + " (IANA) or " + LINUX_PORT + " (Linux's default)");
                    }
                }
                case "vxlan.peers" ->
                {
                    for (final String peer : value.split(",", -1))
                    {
                        if (peer.isBlank())
                        {
                            throw new BerthException("invalid vxlan.peers \"" + value + "\": expected IP[,IP...]");
                        }
                        final int address = Ipv4.parse(peer.trim(), "vxlan.peers");
                        if (!peers.contains(address))
                        {
                            peers.add(address);
                        }
                    }
                }
                case "mtu", "com.docker.network.driver.mtu" -> mtu = number(key, value, MIN_MTU, MAX_MTU);
                case "encrypted" ->
                {
                    if (!value.equals("true") && !value.equals("false") && !value.isEmpty())
                    {
                        throw new BerthException("invalid encrypted \"" + value + "\": give encrypted, " +
                            "encrypted=true or encrypted=false");
                    }
                    encrypted = !value.equals("false");
                }
                // a dual-stack network's, as the store keeps it (network create takes them as --ipv6 --subnet)
                case "ipv6.subnet" -> ipv6Subnet = Ipv6Cidr.parse(value, key).toString();
                case "ipv6.gateway" ->
                {
                    final long[] address = Ipv6Cidr.parseAddress(value, key);
                    ipv6Gateway = Ipv6Cidr.format(address[0], address[1]);
                }
                case "encrypted.peers" ->
                {
                    for (final String peer : value.split(",", -1))
                    {
                        final ListedPeer parsed = listedPeer(peer.trim(), value);
                        listed.removeIf(p -> p.vtep() == parsed.vtep());
                        listed.add(parsed);
                    }
                }
                default -> throw new BerthException("unknown option \"" + key + "\" for an overlay network; " + VALID);
            }
        }
        if (!listed.isEmpty() && !encrypted)
        {
            throw new BerthException("encrypted.peers is for an encrypted network: add -o encrypted");
        }
        if (encrypted)
        {
            for (final ListedPeer peer : listed)
            {
                if (!peers.contains(peer.vtep()))
                {
                    peers.add(peer.vtep()); // a listed key's VTEP gets its tunnel, as vxlan.peers would give it
                }
            }
            for (final int peer : peers)
            {
                if (listed.stream().noneMatch(p -> p.vtep() == peer))
                {
                    throw new BerthException("vxlan.peers " + Ipv4.format(peer) + " on an encrypted network needs " +
                        "its WireGuard key: add encrypted.peers=PUBKEY@" + Ipv4.format(peer) + "[:PORT]");
                }
            }
            if (mtu > MAX_MTU - WIREGUARD_OVERHEAD)
            {
                throw new BerthException("invalid mtu " + mtu + " for an encrypted network: give " + MIN_MTU + ".." +
                    (MAX_MTU - WIREGUARD_OVERHEAD) + " (WireGuard takes " + WIREGUARD_OVERHEAD + " more bytes than " +
                    "VXLAN's 50; " + DEFAULT_ENCRYPTED_MTU + " on a 1500-byte underlay)");
            }
        }
        if ((ipv6Subnet == null) != (ipv6Gateway == null))
        {
            throw new BerthException("ipv6.subnet and ipv6.gateway go together (network create --ipv6 sets both)");
        }
        return new OverlayOptions(vni, port, List.copyOf(peers),
            mtu != 0 ? mtu : encrypted ? DEFAULT_ENCRYPTED_MTU : DEFAULT_MTU, encrypted, List.copyOf(listed),
            ipv6Subnet, ipv6Gateway);
    }

    /** PUBKEY@IP[:PORT]: a 32-byte key in base64, the VTEP, and its WireGuard port (51820). */
    private static ListedPeer listedPeer(final String text, final String whole)
    {
        final int at = text.lastIndexOf('@');
        final String expected = "expected PUBKEY@IP[:PORT][,...], the key in base64 as `wg pubkey` prints it";
        if (at <= 0)
        {
            throw new BerthException("invalid encrypted.peers \"" + whole + "\": " + expected);
        }
        final String key = text.substring(0, at);
        final byte[] decoded;
        try
        {
            decoded = Base64.getDecoder().decode(key);
        }
        catch (final IllegalArgumentException e)
        {
            throw new BerthException("invalid encrypted.peers key \"" + key + "\": not base64; " + expected);
        }
        if (decoded.length != 32)
        {
            throw new BerthException("invalid encrypted.peers key \"" + key + "\": " + decoded.length + " bytes, a " +
                "WireGuard key has 32 (44 base64 characters)");
        }
        final String address = text.substring(at + 1);
        final int colon = address.indexOf(':');
        final int vtep = Ipv4.parse(colon < 0 ? address : address.substring(0, colon), "encrypted.peers");
        final int port = colon < 0 ? DEFAULT_WIREGUARD_PORT : number("encrypted.peers port", address.substring(colon + 1),
            1, 65535);
        return new ListedPeer(key, vtep, port);
    }

    /** The journaled form; "vni" only once chosen (the store adds it). */
    public Map<String, String> toMap()
    {
        final Map<String, String> map = new LinkedHashMap<>();
        if (vni != 0)
        {
            map.put("vni", Integer.toString(vni));
        }
        map.put("vxlan.port", Integer.toString(udpPort));
        if (!peers.isEmpty())
        {
            map.put("vxlan.peers", String.join(",", peers.stream().map(Ipv4::format).toList()));
        }
        map.put("mtu", Integer.toString(mtu));
        if (encrypted)
        {
            map.put("encrypted", "true");
        }
        if (!encryptedPeers.isEmpty())
        {
            map.put("encrypted.peers", String.join(",", encryptedPeers.stream().map(ListedPeer::text).toList()));
        }
        if (ipv6Subnet != null)
        {
            map.put("ipv6.subnet", ipv6Subnet);
            map.put("ipv6.gateway", ipv6Gateway);
        }
        return map;
    }

    public static OverlayOptions of(final Map<String, String> options)
    {
        final List<Integer> peers = new ArrayList<>();
        final String peerText = options.get("vxlan.peers");
        if (peerText != null && !peerText.isEmpty())
        {
            for (final String peer : peerText.split(","))
            {
                peers.add(Ipv4.parse(peer, "vxlan.peers"));
            }
        }
        final List<ListedPeer> listed = new ArrayList<>();
        final String listedText = options.get("encrypted.peers");
        if (listedText != null && !listedText.isEmpty())
        {
            for (final String peer : listedText.split(","))
            {
                listed.add(listedPeer(peer, listedText));
            }
        }
        return new OverlayOptions(Integer.parseInt(options.getOrDefault("vni", "0")),
            Integer.parseInt(options.getOrDefault("vxlan.port", Integer.toString(DEFAULT_PORT))), List.copyOf(peers),
            Integer.parseInt(options.getOrDefault("mtu", Integer.toString(DEFAULT_MTU))),
            "true".equals(options.get("encrypted")), List.copyOf(listed), options.get("ipv6.subnet"),
            options.get("ipv6.gateway"));
    }

    private static int number(final String key, final String value, final int min, final int max)
    {
        final long number;
        try
        {
            number = Long.parseLong(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new BerthException("invalid value \"" + value + "\" for option " + key + ": expected a number " +
                min + ".." + max);
        }
        if (number < min || number > max)
        {
            throw new BerthException("invalid " + key + " " + value + ": out of range, give " + min + ".." + max);
        }
        return (int)number;
    }
}
