package io.berth.control.driver.overlay;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code -o} options of an overlay network: {@code vni} (left out: the store picks the lowest free from 4096),
 * {@code vxlan.port} (4789, or Linux's 8472 for kernel and flannel peers), {@code vxlan.peers} (VTEPs outside
 * the store, such as a kernel VXLAN device, that get a tunnel too) and {@code mtu} (1450: the underlay's 1500
 * less the 50 bytes of encapsulation). Journaled normalised; immutable.
 *
 * @param vni   0 until the store has chosen one.
 * @param peers underlay addresses.
 */
public record OverlayOptions(int vni, int udpPort, List<Integer> peers, int mtu)
{
    public static final int DEFAULT_MTU = 1450;
    public static final int DEFAULT_PORT = 4789;
    public static final int LINUX_PORT = 8472;
    public static final int MIN_MTU = 68;
    /** A 9000-byte underlay less the encapsulation. */
    public static final int MAX_MTU = 8950;
    public static final int MAX_VNI = 0xFFFFFF;
    private static final String VALID = "valid options: vni=1.." + MAX_VNI + ", vxlan.port=" + DEFAULT_PORT + "|" +
        LINUX_PORT + ", vxlan.peers=IP[,IP...], mtu=" + MIN_MTU + ".." + MAX_MTU +
        " (also com.docker.network.driver.overlay.vxlanid_list, com.docker.network.driver.mtu)";

    public static OverlayOptions parse(final List<String> options)
    {
        int vni = 0;
        int port = DEFAULT_PORT;
        int mtu = DEFAULT_MTU;
        final List<Integer> peers = new ArrayList<>();
        for (final String option : options == null ? List.<String>of() : options)
        {
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
                default -> throw new BerthException("unknown option \"" + key + "\" for an overlay network; " + VALID);
            }
        }
        return new OverlayOptions(vni, port, List.copyOf(peers), mtu);
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
        return new OverlayOptions(Integer.parseInt(options.getOrDefault("vni", "0")),
            Integer.parseInt(options.getOrDefault("vxlan.port", Integer.toString(DEFAULT_PORT))), List.copyOf(peers),
            Integer.parseInt(options.getOrDefault("mtu", Integer.toString(DEFAULT_MTU))));
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
