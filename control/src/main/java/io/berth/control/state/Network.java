package io.berth.control.state;

import io.berth.control.driver.Scope;
import io.berth.control.ipam.AddressPool;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipam;
import io.berth.control.ipam.Ipv4;
import io.berth.control.journal.Event;

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

    Network(final Event.NetworkCreated created, final Ipam ipam)
    {
        this.created = created;
        final Event.IpamConfig pool = created.ipam();
        if (pool != null && pool.subnet() != null)
        {
            subnet = Cidr.parse(pool.subnet(), "subnet");
            ipRange = pool.ipRange() == null ? null : Cidr.parse(pool.ipRange(), "ip-range");
            gateway = Ipv4.parse(pool.gateway(), "gateway");
            addresses = ipam.addressBook(created.name(), subnet, ipRange, gateway);
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
}
