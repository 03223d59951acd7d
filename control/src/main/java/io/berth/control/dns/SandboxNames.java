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
 */
public record SandboxNames(Map<String, List<Integer>> addresses, Map<Integer, String> pointers, boolean forward,
    List<InetSocketAddress> upstreams)
{
    public SandboxNames
    {
        addresses = Map.copyOf(addresses);
        pointers = Map.copyOf(pointers);
        upstreams = List.copyOf(upstreams);
    }
}
