package io.berth.l3;

import org.agrona.collections.Long2LongHashMap;

/**
 * IPv6 routing state (issue 27) beside the IPv4 {@link Router} it leans on: each dual-stack network's prefix,
 * gateway address and masquerade choice, berthd's addresses on the host link and the uplink, the uplink's prefix
 * and default gateway. A container's IPv6 address is its network's prefix with its IPv4 host part, so its port and
 * MAC come from the IPv4 endpoint table ({@link #ipv4Of}): one endpoint table for both families, nothing to keep
 * in step. Owned by the worker thread; the control plane changes it through {@link Router6Commands}.
 */
public final class Router6
{
    private static final int MAX_DOMAINS = 4096;

    private final Router router;
    private final boolean[] present = new boolean[MAX_DOMAINS];
    private final long[] prefixHi = new long[MAX_DOMAINS];
    private final long[] prefixLo = new long[MAX_DOMAINS];
    private final int[] prefixLength = new int[MAX_DOMAINS];
    private final long[] gatewayHi = new long[MAX_DOMAINS];
    private final long[] gatewayLo = new long[MAX_DOMAINS];
    private final int[] network4 = new int[MAX_DOMAINS];
    private final boolean[] masquerade = new boolean[MAX_DOMAINS];
    /** Upper 64 bits -> domain; prefixes are /64 or longer, so every address of a network has its prefix's. */
    private final Long2LongHashMap domainByHi = new Long2LongHashMap(Router.NONE);

    private long hostLinkHi;
    private long hostLinkLo;
    private long hostHi;
    private long hostLo;

    private long uplinkHi;
    private long uplinkLo;
    private int uplinkPrefixLength;
    private long uplinkGatewayHi;
    private long uplinkGatewayLo;

    public Router6(final Router router)
    {
        this.router = router;
    }

    public Router ipv4()
    {
        return router;
    }

    /** Control command: a dual-stack network's IPv6 side (its IPv4 side is in {@link Router} already). */
    public void addDomain(final int id, final long hi, final long lo, final int length, final long gateway6Hi,
        final long gateway6Lo, final int ipv4Network, final boolean masquerades)
    {
        present[id] = true;
        prefixHi[id] = hi;
        prefixLo[id] = lo;
        prefixLength[id] = length;
        gatewayHi[id] = gateway6Hi;
        gatewayLo[id] = gateway6Lo;
        network4[id] = ipv4Network;
        masquerade[id] = masquerades;
        domainByHi.put(hi, id);
    }

    public void removeDomain(final int id)
    {
        if (present[id])
        {
            present[id] = false;
            if (domainByHi.get(prefixHi[id]) == id)
            {
                domainByHi.remove(prefixHi[id]);
                for (int d = 0; d < MAX_DOMAINS; d++) // a longer prefix sharing the upper half takes its place
                {
                    if (present[d] && prefixHi[d] == prefixHi[id])
                    {
                        domainByHi.put(prefixHi[d], d);
                        break;
                    }
                }
            }
        }
    }

    /** The network whose prefix holds the address, or {@link Router#NONE}. */
    public int domainOf(final long hi, final long lo)
    {
        final int candidate = (int)domainByHi.get(hi);
        if (candidate == Router.NONE || inPrefix(candidate, lo))
        {
            return candidate;
        }
        for (int d = 0; d < MAX_DOMAINS; d++) // two prefixes longer than /64 share their upper half: rare
        {
            if (present[d] && prefixHi[d] == hi && inPrefix(d, lo))
            {
                return d;
            }
        }
        return Router.NONE;
    }

    private boolean inPrefix(final int domain, final long lo)
    {
        final int hostBits = 128 - prefixLength[domain];
        return hostBits >= 64 || ((lo ^ prefixLo[domain]) >>> hostBits) == 0;
    }

    /** The IPv4 address of the endpoint whose IPv6 address in {@code domain} this is, or 0 (none can have it). */
    public int ipv4Of(final int domain, final long lo)
    {
        final long offset = lo - prefixLo[domain];
        return offset <= 0 || offset > 0xFFFF_FFFFL ? 0 : network4[domain] + (int)offset;
    }

    public boolean hasIpv6(final int domain)
    {
        return domain >= 0 && present[domain];
    }

    public boolean isGateway(final int domain, final long hi, final long lo)
    {
        return gatewayHi[domain] == hi && gatewayLo[domain] == lo;
    }

    public long gatewayHi(final int domain)
    {
        return gatewayHi[domain];
    }

    public long gatewayLo(final int domain)
    {
        return gatewayLo[domain];
    }

    /** Connections from this network to the outside leave as the uplink's IPv6 address (NAT66). */
    public boolean masquerades(final int domain)
    {
        return masquerade[domain];
    }

    /** Control command: berthd's IPv6 address on the host link, and the host's. */
    public void hostLink(final long ourHi, final long ourLo, final long theirHi, final long theirLo)
    {
        hostLinkHi = ourHi;
        hostLinkLo = ourLo;
        hostHi = theirHi;
        hostLo = theirLo;
    }

    /** Control command: berthd's IPv6 address on the uplink, its prefix length and the next hop (0, 0: none). */
    public void uplink(final long hi, final long lo, final int length, final long gateway6Hi, final long gateway6Lo)
    {
        uplinkHi = hi;
        uplinkLo = lo;
        uplinkPrefixLength = length;
        uplinkGatewayHi = gateway6Hi;
        uplinkGatewayLo = gateway6Lo;
    }

    public boolean hasHostLink()
    {
        return hostHi != 0 && router.hostPort() != Router.NONE;
    }

    public boolean isHost(final long hi, final long lo)
    {
        return hostHi != 0 && hi == hostHi && lo == hostLo;
    }

    public long hostLinkHi()
    {
        return hostLinkHi;
    }

    public long hostLinkLo()
    {
        return hostLinkLo;
    }

    public boolean hasUplink()
    {
        return uplinkHi != 0 && router.uplinkPort() != Router.NONE;
    }

    public long uplinkHi()
    {
        return uplinkHi;
    }

    public long uplinkLo()
    {
        return uplinkLo;
    }

    /** berthd's own IPv6 addresses: the host link's, the uplink's, every network's gateway. */
    public boolean isLocal(final long hi, final long lo)
    {
        if ((hi == hostLinkHi && lo == hostLinkLo && hi != 0) || (hi == uplinkHi && lo == uplinkLo && hi != 0))
        {
            return true;
        }
        final int domain = domainOf(hi, lo);
        return domain != Router.NONE && isGateway(domain, hi, lo);
    }

    /**
     * The uplink next hop for an outside destination: itself when it is on the uplink's prefix, else the gateway;
     * false (nothing written) when there is none.
     */
    public boolean uplinkNextHop(final long hi, final long lo, final long[] into)
    {
        if (onUplinkPrefix(hi, lo))
        {
            into[0] = hi;
            into[1] = lo;
            return true;
        }
        if (uplinkGatewayHi == 0 && uplinkGatewayLo == 0)
        {
            return false;
        }
        into[0] = uplinkGatewayHi;
        into[1] = uplinkGatewayLo;
        return true;
    }

    private boolean onUplinkPrefix(final long hi, final long lo)
    {
        final int length = uplinkPrefixLength;
        if (length <= 64)
        {
            return length == 0 || ((hi ^ uplinkHi) >>> (64 - length)) == 0;
        }
        return hi == uplinkHi && (length == 128 ? lo == uplinkLo : ((lo ^ uplinkLo) >>> (128 - length)) == 0);
    }
}
