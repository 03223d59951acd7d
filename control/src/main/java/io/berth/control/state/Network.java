package io.berth.control.state;

import io.berth.control.ipam.AddressPool;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.dataplane.NetworkSpec;
import io.berth.control.journal.Event;

/** A network and the addresses taken on it. Owned by the control thread. */
public final class Network
{
    public static final String DRIVER_BRIDGE = "bridge";
    public static final String DRIVER_HOST = "host";
    public static final String DRIVER_NULL = "null";

    private final Event.NetworkCreated created;
    private final Cidr subnet;
    private final Cidr ipRange;
    private final int gateway;
    private final AddressPool addresses;

    Network(final Event.NetworkCreated created)
    {
        this.created = created;
        if (DRIVER_BRIDGE.equals(created.driver()))
        {
            subnet = Cidr.parse(created.subnet(), "subnet");
            ipRange = created.ipRange() == null ? null : Cidr.parse(created.ipRange(), "ip-range");
            gateway = Ipv4.parse(created.gateway(), "gateway");
            addresses = new AddressPool(created.name(), subnet, ipRange, gateway);
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

    /** A network with a subnet and a bridge domain in the dataplane (not the host/none pseudo-networks). */
    public boolean isBridge()
    {
        return addresses != null;
    }

    /** bridge, host and none exist from the first start and cannot be removed. */
    public boolean isPredefined()
    {
        return !isBridge() || "bridge".equals(name()) && created.denseId() == 0;
    }

    public int denseId()
    {
        return created.denseId();
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

    public boolean icc()
    {
        return created.icc();
    }

    public int mtu()
    {
        return created.mtu();
    }

    public String createdAt()
    {
        return created.created();
    }

    public AddressPool addresses()
    {
        return addresses;
    }

    public NetworkSpec spec()
    {
        return new NetworkSpec(denseId(), name(), subnet.network(), subnet.prefixLength(), gateway,
            Ipv4.macFor(gateway), icc(), internal(), mtu());
    }
}
