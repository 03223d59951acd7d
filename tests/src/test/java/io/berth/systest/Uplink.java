package io.berth.systest;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import java.util.ArrayList;

/**
 * An "outside" host for berthd's uplink: a namespace {@code <prefix>-out} joined by a veth to berthd's host
 * namespace. The host end ({@link #IFACE}) carries no kernel address: berthd drives it and owns
 * {@link #UPLINK_IP} itself. The outside end is {@code eth0} with {@link #OUTSIDE_IP}; it is also the uplink
 * gateway. The addresses are private and live only inside namespaces the test made; both veth ends are created
 * directly in those namespaces, so nothing appears in the machine's own namespace.
 *
 * <p>The outside namespace carries the host's prefix, so {@link BerthHost#close()} removes it with everything
 * else (also after a failure).
 */
public final class Uplink
{
    /** The uplink device in berthd's namespace. */
    public static final String IFACE = "uplink0";
    public static final String UPLINK_IP = "10.99.0.1";
    public static final String OUTSIDE_IP = "10.99.0.2";
    public static final String UPLINK_CIDR = UPLINK_IP + "/24";

    private Uplink()
    {
    }

    /** The outside namespace of HOST. */
    public static String outside(BerthHost host)
    {
        return host.name("out");
    }

    /**
     * Starts berthd with {@code --uplink uplink0 --uplink-ip 10.99.0.1/24 --uplink-gateway 10.99.0.2} after
     * making the outside namespace and the veth.
     */
    public static BerthHost start()
    {
        return start(List.of());
    }

    /** {@link #start()} with more berthd options (e.g. conntrack timeouts). */
    public static BerthHost start(final List<String> moreBerthdArgs)
    {
        return start(moreBerthdArgs, 0);
    }

    /** With the uplink's MTU (both ends of the veth) set to {@code mtu} before berthd starts; 0 leaves 1500. */
    public static BerthHost start(final List<String> moreBerthdArgs, final int mtu)
    {
        final List<String> args = new ArrayList<>(
            List.of("--uplink", IFACE, "--uplink-ip", UPLINK_CIDR, "--uplink-gateway", OUTSIDE_IP));
        args.addAll(moreBerthdArgs);
        return BerthHost.start(host ->
        {
            makeOutside(host);
            if (mtu > 0)
            {
                must(Sh.run("ip", "-n", outside(host), "link", "set", "eth0", "mtu", Integer.toString(mtu)));
                must(Sh.run("ip", "-n", host.hostNs(), "link", "set", IFACE, "mtu", Integer.toString(mtu)));
            }
        }, args);
    }

    private static void makeOutside(BerthHost host)
    {
        final String out = outside(host);
        must(Sh.run("ip", "netns", "add", out));
        must(Sh.run("ip", "-n", out, "link", "set", "lo", "up"));
        must(Sh.run("ip", "-n", out, "link", "add", "eth0", "type", "veth", "peer", "name", IFACE, "netns", host.hostNs()));
        must(Sh.run("ip", "-n", out, "addr", "add", OUTSIDE_IP + "/24", "dev", "eth0"));
        must(Sh.run("ip", "-n", out, "link", "set", "eth0", "up"));
        must(Sh.run("ip", "-n", host.hostNs(), "link", "set", IFACE, "up"));
        // wait for the IPv6 link-local address of an interface that is up (as a real NIC's would be by now); see
        // UplinkOptionsTest for an uplink without any address
        for (int i = 0; i < 50; i++)
        {
            if (BerthHost.inNs(host.hostNs(), "cat", "/proc/net/if_inet6").out().contains(IFACE))
            {
                return;
            }
            BerthHost.sleep(100);
        }
    }

    private static void must(Result r)
    {
        assertEquals(0, r.exit(), () -> "uplink setup command failed\n" + r);
    }
}
