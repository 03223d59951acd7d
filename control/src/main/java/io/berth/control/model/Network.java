package io.berth.control.model;

import io.berth.control.event.Event;
import io.berth.control.event.Scope;
import io.berth.control.ipam.AddressPool;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipam;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.ipam.Ipv6Subnets;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A network as the journal (or the global store) describes it, driver-neutral, and the addresses taken on it.
 * What a driver keeps for it at run time lives in the driver. Owned by the control thread.
 */
public final class Network
{
    private final Event.NetworkCreated created;
    private final Cidr subnet;
    private final Cidr ipRange;
    private final int gateway;
    private final AddressPool addresses;
    /** The second and later subnets (ipvlan L3), each with its own address book. */
    private final List<AddressPool> moreAddresses = new ArrayList<>();
    private final List<Cidr> moreSubnets = new ArrayList<>();
    /** Their gateways, 0 where none was given. */
    private final List<Integer> moreGateways = new ArrayList<>();

    /**
     * Where a network with several subnets keeps the second and later ones: in its journaled options, as
     * {@code CIDR[=GATEWAY],...}.
     */
    public static final String MORE_SUBNETS = "subnets";

    /** The event that defined this network (what a store that forgot it is given again). */
    public Event.NetworkCreated definition()
    {
        return created;
    }

    /** Made by the control state from the event that defines it (created, replayed, or read from the store). */
    public Network(final Event.NetworkCreated created, final Ipam ipam)
    {
        this.created = created;
        final Event.IpamConfig pool = created.ipam();
        if (pool != null && pool.subnet() != null)
        {
            subnet = Cidr.parse(pool.subnet(), "subnet");
            ipRange = pool.ipRange() == null ? null : Cidr.parse(pool.ipRange(), "ip-range");
            gateway = Ipv4.parse(pool.gateway(), "gateway");
            addresses = ipam.addressBook(created.name(), subnet, ipRange, gateway);
            final String more = created.options().get(MORE_SUBNETS);
            for (final String text : more == null || more.isEmpty() ? new String[0] : more.split(","))
            {
                final int equals = text.indexOf('=');
                final Cidr extra = Cidr.parse(equals < 0 ? text : text.substring(0, equals), "subnet");
                final int extraGateway = equals < 0 ? 0 : Ipv4.parse(text.substring(equals + 1), "gateway");
                moreSubnets.add(extra);
                moreGateways.add(extraGateway);
                moreAddresses.add(ipam.addressBook(created.name(), extra, null, extraGateway));
            }
        }
        else
        {
            subnet = null;
            ipRange = null;
            gateway = 0;
            addresses = null;
        }
    }

    public String id()
    {
        return created.id();
    }

    public String name()
    {
        return created.name();
    }

    public String driver()
    {
        return created.driver();
    }

    public Scope scope()
    {
        return Scope.of(created.scope());
    }

    /** True when the network has a subnet and addresses of its own (an IPAM pool). */
    public boolean hasAddresses()
    {
        return addresses != null;
    }

    /** bridge, host and none exist from the first start and cannot be removed. */
    public boolean isPredefined()
    {
        return created.predefined();
    }

    public Cidr subnet()
    {
        return subnet;
    }

    public Cidr ipRange()
    {
        return ipRange;
    }

    public int gateway()
    {
        return gateway;
    }

    public boolean internal()
    {
        return created.internal();
    }

    /** A dual-stack network's IPv6 subnet (issue 27), or null for an IPv4-only one. */
    public Ipv6Cidr ipv6Subnet()
    {
        return Ipv6Subnets.subnetOf(created.options());
    }

    /** A dual-stack network's IPv6 gateway as {hi, lo}, or null. */
    public long[] ipv6Gateway()
    {
        final String text = created.options().get(Ipv6Subnets.GATEWAY);
        return text == null ? null : Ipv6Cidr.parseAddress(text, Ipv6Subnets.GATEWAY);
    }

    /** The IPv6 address of the container at {@code ip} (the prefix with its IPv4 host part), or null. */
    /** The journaled option of an IPv6-only network ({@code "ipv4": "false"}). */
    public static final String IPV4 = "ipv4";

    /** False for an IPv6-only network: its containers' IPv4 addresses are berth's bookkeeping, never configured. */
    public boolean ipv4()
    {
        return !"false".equals(options().get(IPV4));
    }

    public long[] ipv6AddressOf(final int ip)
    {
        final Ipv6Cidr subnet6 = ipv6Subnet();
        return subnet6 == null ? null : Ipv6Subnets.addressOf(subnet6, subnet, ip);
    }

    /** The driver's normalised options, as journaled. */
    public Map<String, String> options()
    {
        return created.options();
    }

    /** Data private to the driver, as journaled. */
    public Map<String, String> driverData()
    {
        return created.driverData();
    }

    public String createdAt()
    {
        return created.created();
    }

    public AddressPool addresses()
    {
        return addresses;
    }

    /** The address book of the subnet holding {@code ip}; the first subnet's when none does (it then refuses). */
    public AddressPool addressesFor(final int ip)
    {
        for (int i = 0; i < moreSubnets.size(); i++)
        {
            if (moreSubnets.get(i).contains(ip))
            {
                return moreAddresses.get(i);
            }
        }
        return addresses;
    }

    /** The subnet holding {@code ip} (the first subnet when none does). */
    public Cidr subnetOf(final int ip)
    {
        for (final Cidr extra : moreSubnets)
        {
            if (extra.contains(ip))
            {
                return extra;
            }
        }
        return subnet;
    }

    /** The gateway of the subnet holding {@code ip}: the network's, or a further subnet's (0 if it has none). */
    public int gatewayOf(final int ip)
    {
        for (int i = 0; i < moreSubnets.size(); i++)
        {
            if (moreSubnets.get(i).contains(ip))
            {
                return moreGateways.get(i);
            }
        }
        return gateway;
    }

    /** The gateway of the i-th further subnet, 0 if none. */
    public int moreGateway(final int i)
    {
        return moreGateways.get(i);
    }

    /** The second and later subnets; empty for most networks. */
    public List<Cidr> moreSubnets()
    {
        return List.copyOf(moreSubnets);
    }
}
