package io.berth.control.dns;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * What the embedded DNS answers inside one sandbox: the names of the containers it shares a user-defined network
 * with (their names, NAME.NETWORK, short ids and aliases on that network, and its own --link aliases), the PTR
 * names of their addresses, and where anything else goes. Names are lower case, without the trailing dot.
 * Immutable: built on the control thread, read by the DNS thread.
 *
 * @param addresses  name to its addresses (several for a shared alias).
 * @param pointers   address to the name its PTR answers (NAME.NETWORK).
 * @param forward    false when every network of the sandbox is --internal: local names only.
 * @param upstreams  the sandbox's own --dns servers, or berthd's upstreams.
 * @param addresses6 name to its IPv6 addresses (dual-stack networks), 16 bytes each.
 * @param pointers6  an IPv6 address's ip6.arpa name (lower case, no trailing dot) to the name its PTR answers.
 */
public record SandboxNames(Map<String, List<Integer>> addresses, Map<Integer, String> pointers, boolean forward,
    List<InetSocketAddress> upstreams, Map<String, List<byte[]>> addresses6, Map<String, String> pointers6)
{
    public SandboxNames
    {
        addresses = Map.copyOf(addresses);
        pointers = Map.copyOf(pointers);
        upstreams = List.copyOf(upstreams);
        addresses6 = Map.copyOf(addresses6);
        pointers6 = Map.copyOf(pointers6);
    }

    /** IPv4 names only. */
    public SandboxNames(final Map<String, List<Integer>> addresses, final Map<Integer, String> pointers,
        final boolean forward, final List<InetSocketAddress> upstreams)
    {
        this(addresses, pointers, forward, upstreams, Map.of(), Map.of());
    }

    /** The ip6.arpa name of a 16-byte address: its 32 nibbles backwards. */
    public static String reverse6(final byte[] address)
    {
        final StringBuilder name = new StringBuilder(72);
        for (int i = 15; i >= 0; i--)
        {
            name.append(Character.forDigit(address[i] & 0xF, 16)).append('.')
                .append(Character.forDigit((address[i] >> 4) & 0xF, 16)).append('.');
        }
        return name.append("ip6.arpa").toString();
    }
}
