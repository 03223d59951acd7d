package io.berth.control.dataplane;

import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.error.BerthException;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What drivers and the controller ask of the packet path: driver-neutral building blocks (segments, TAP ports on
 * them, published ports, the uplink) that drivers compose into what their networks are. berthd's composition root
 * builds one; it is called from the control thread. Implementations hand table changes to the worker thread
 * through the typed proxies and wait for them, so a call returns once the dataplane acts on it.
 */
public interface Dataplane extends AutoCloseable
{
    /** Starts the worker thread(s). */
    void start();

    /** Creates a segment (bridge domain and routed subnet); its gateway address then answers ARP and ping. */
    void addSegment(SegmentSpec segment);

    /** Removes the segment and everything learned in it. The caller has detached every port. */
    void removeSegment(int segmentId);

    /**
     * Gives a sandbox an interface on a network: creates a TAP device in berthd's namespace (or, when
     * {@code reattach}, reopens the persistent one already in the sandbox, falling back to creating it when it
     * is gone), moves it into the sandbox, names it, sets MAC, address, MTU and routes, and attaches it to the
     * segment.
     *
     * @return the dataplane port id.
     * @throws IOException when the device cannot be created or configured; nothing is left behind then.
     */
    int attachTap(EndpointSpec endpoint, boolean reattach) throws IOException;

    /** Detaches the port and deletes its device from the sandbox. */
    void detachPort(int portId);

    /** Whether a device of that name is in berthd's own namespace (a runtime's TAP not yet moved, or moved back). */
    default boolean hasDevice(final String deviceName)
    {
        return false;
    }

    /** Deletes a device a crash left in berthd's namespace (a TAP made but never moved); nothing if absent. */
    void removeLeftoverDevice(String deviceName);

    /**
     * Deletes the TAPs in {@code netns} (null: berthd's own) that still have the temporary name berth gives a new
     * port, which a crash between making and renaming it left behind; called once every port is attached again.
     *
     * @return the names deleted.
     */
    default List<String> removeStrayTaps(final String netns)
    {
        return List.of();
    }

    /** Points the sandbox's default route at {@code gatewayIp} through {@code ifName} (the route moves there). */
    void defaultRouteVia(String sandbox, String ifName, int gatewayIp) throws IOException;

    /**
     * Starts driving the uplink: berthd owns {@code uplink.ip()} there (answers ARP with the interface's MAC),
     * resolves next hops by ARP and masquerades traffic from non-internal networks to that address. Call once,
     * after {@link #start()}.
     *
     * @throws IOException naming the interface when it cannot be opened (missing, not Ethernet, no permission).
     */
    void attachUplink(UplinkSpec uplink) throws IOException;

    /** The host-side address of the host link ({@code berth0}), the source the host's own traffic to containers has. */
    int hostLinkAddress();

    /** Adds a DNAT entry; false when that host address, protocol and port is published already (nothing changes). */
    boolean publish(PublishSpec publication);

    /** Removes a DNAT entry (connections already translated live on until they expire). */
    void unpublish(PublishSpec publication);

    /**
     * Publishes {@code protocol}/{@code hostPort} on the uplink's IPv6 address to the container's IPv6 address and
     * port (issue 27); false when it is published already (nothing changes).
     */
    default boolean publish6(final int protocol, final int hostPort, final long[] container, final int containerPort)
    {
        return false;
    }

    default void unpublish6(final int protocol, final int hostPort)
    {
    }

    /**
     * A dual-stack LAN segment's IPv6 prefix (issue 27: ipvlan delivers to containers by address; a container's
     * IPv6 address is the prefix with the host part of its address in {@code ipv4Network}). The gateway is the
     * LAN's: berth answers nothing for it.
     */
    default void lanSegmentIpv6(final int segmentId, final Ipv6Cidr prefix, final int ipv4Network)
    {
    }

    /** berthd's uplink IPv6 address ({hi, lo}, {@code --uplink-ip6}), or null. */
    default long[] uplinkIpv6()
    {
        return null;
    }

    /**
     * Tracked connections for {@code berth conntrack ls}: each a map with "protocol", "state", "timeout" (seconds),
     * "original" and "reply" ({"src","dst","sport","dport"}), "flags" (list of strings).
     */
    List<Map<String, Object>> connections();

    /**
     * Writes every tracked connection (with its NAT translation) to {@code file}, atomically: on SIGTERM, and
     * every second so that a SIGKILL loses at most that much. Any thread.
     */
    default void saveConnections(final Path file) throws IOException
    {
    }

    /** Puts the connections saved in {@code file} back; returns how many. Nothing when there is no file. */
    default int restoreConnections(final Path file) throws IOException
    {
        return 0;
    }

    /** Forgets every tracked connection; returns how many there were. */
    int flushConnections();

    /**
     * Counters for {@code berth counters} / inspect: "ports" -> {name -> {counter -> value}}, "drops" ->
     * {reason -> value}, "networks" -> {name -> {"macs": n}}. Plain maps and numbers, ready for JSON.
     */
    Map<String, Object> counters();

    /**
     * A dual-stack segment (issue 27): its gateway answers neighbour solicitation and ping for {@code gateway}, and
     * with {@code advertise} Router Solicitations with an advertisement of itself and the prefix; an address of the
     * prefix has the host part of one of {@code ipv4Network}'s (what a tunnel's endpoints are checked against).
     * The prefix is routed, to the host and the outside, and with {@code masquerade} leaves the uplink as its
     * IPv6 address (NAT66).
     */
    default void segmentIpv6(final int segmentId, final Ipv6Cidr prefix, final long gatewayHi, final long gatewayLo,
        final int ipv4Network, final boolean advertise, final boolean masquerade)
    {
    }

    // ------------------------------------------------------------------ overlay (VXLAN) building blocks

    /**
     * Makes segment {@code segmentId} VXLAN network {@code vni}: datagrams to this host's VTEP (the uplink
     * address) on {@code udpPort} with that VNI enter it. Needs the uplink.
     */
    default void addOverlay(final int segmentId, final int vni, final int udpPort, final boolean encrypted)
    {
        throw new UnsupportedOperationException("this dataplane has no overlay networks");
    }

    default void removeOverlay(final int vni)
    {
    }

    /**
     * A tunnel port to {@code remoteVtep} on the overlay segment (a member of its flood list, so broadcast and
     * unknown unicast reach that host by head-end replication); frames it carries are at most {@code mtu}. An
     * encrypted network's tunnel sends through the WireGuard peer of {@code remoteVtep}
     * ({@link #putWireGuardPeer}).
     *
     * @return its port id.
     */
    default int addTunnel(final int segmentId, final int vni, final int remoteVtep, final int mtu,
        final boolean encrypted)
    {
        throw new UnsupportedOperationException("this dataplane has no overlay networks");
    }

    /** This VTEP's WireGuard interface: its static private key, listening on the uplink address at {@code port}. */
    default void startWireGuard(final byte[] privateKey, final int port)
    {
        throw new UnsupportedOperationException("this dataplane has no encrypted overlays");
    }

    /** The WireGuard peer of {@code vtep}: its public key and where its datagrams go (until it roams). */
    default void putWireGuardPeer(final int vtep, final byte[] publicKey, final int endpointIp, final int endpointPort)
    {
    }

    default void removeWireGuardPeer(final int vtep)
    {
    }

    /** Every WireGuard peer and its session, for {@code berth node ls}. */
    default List<WireGuardPeerView> wireGuardPeers()
    {
        return List.of();
    }

    /** Removes a tunnel port and the remote endpoints behind it. */
    default void removeTunnel(final int portId)
    {
    }

    /** A remote endpoint: {@code mac} is behind the tunnel port, ARP for {@code ip} is answered with it. */
    default void putRemoteEndpoint(final int segmentId, final int tunnelPort, final int ip, final long mac)
    {
    }

    default void removeRemoteEndpoint(final int segmentId, final int ip, final long mac)
    {
    }

    // ------------------------------------------------------------------ LAN (macvlan, ipvlan) building blocks

    /**
     * Creates a LAN segment: a bridge domain whose containers sit on {@code segment.parent()}'s LAN (driven with
     * AF_PACKET, promiscuous, the VLAN tagged and untagged by berth), and which the host reaches through berth0.
     *
     * @throws io.berth.control.error.BerthException when the parent does not exist or is not Ethernet, when its VLAN is
     *                                         another network's, or when it serves the other LAN driver; naming it.
     */
    default void addLanSegment(final LanSegmentSpec segment)
    {
        throw new BerthException("this dataplane has no macvlan or ipvlan networks");
    }

    /** Removes a LAN segment; its parent is given back (promiscuous membership dropped) when no other uses it. */
    default void removeLanSegment(final int segmentId)
    {
    }

    /**
     * The MAC every container of ipvlan segment {@code segmentId} has: its parent's, or for one without a LAN a MAC
     * of berth's (02:42 and the subnet's address).
     */
    default long sharedMac(final int segmentId)
    {
        throw new BerthException("this dataplane has no macvlan or ipvlan networks");
    }

    /** The MTU of interface {@code iface} in berthd's namespace; 1500 when it cannot be read. */
    default int interfaceMtu(final String iface)
    {
        return 1500;
    }

    /** Stops the worker and closes every fd, leaving devices (persistent TAPs) in the sandboxes. */
    @Override
    void close();

    /**
     * Arms a capture: copies of the packets handed to graph node {@code stage} that arrived on, or leave by, a port
     * named in {@code portNames} (the names {@code berth counters} shows; "uplink" for the uplink).
     *
     * @throws io.berth.control.error.BerthException naming an unknown stage or port and what is valid.
     */
    default CaptureRing.Session capture(final String stage, final List<String> portNames, final int snaplen)
    {
        throw new BerthException("capture needs berthd's userspace dataplane");
    }

    /**
     * Starts recording flows: the conntrack table tells a ring of the connections that end (and, with
     * {@code starts}, start); the caller drains it ({@code FlowLog}).
     */
    default FlowSource flowLog(final boolean starts)
    {
        throw new BerthException("the flow log needs berthd's userspace dataplane");
    }

    /** The worker's flow ring and the records it lost for want of room. */
    /**
     * {@link #trace}'s {@code --next} for IPv6 (issue 27): the next {@code count} packets from the port for
     * {@code destination} ({hi, lo}).
     */
    default List<TraceEvent> traceIpv6(final String portName, final long[] destination, final int protocol,
        final int l4Port, final int count, final long timeoutMs) throws InterruptedException
    {
        throw new BerthException("this dataplane does not trace");
    }

    record FlowSource(RingBuffer ring, LongSupplier lost)
    {
    }

    /**
     * berth trace: with {@code frame}, injects it as received on port {@code portName}, marked synthetic (tx never
     * sends it, and the connection it made is forgotten after); without, follows the next {@code count} packets
     * arriving on that port for {@code destination} (protocol 0: any; l4Port -1: any). Returns every step of every
     * traced packet once all have ended, or what was seen when {@code timeoutMs} ran out. Caller's thread (blocks).
     */
    default List<TraceEvent> trace(final String portName, final byte[] frame, final int destination,
        final int protocol, final int l4Port, final int count, final long timeoutMs) throws InterruptedException
    {
        throw new BerthException("trace needs berthd's userspace dataplane");
    }

    /**
     * berth trace from outside the containers: a synthetic packet as a LAN host sends it to berthd's uplink
     * ({@code fromUplink}: from the uplink gateway, else another address of the uplink's subnet), or as this host
     * sends it over berth0. Never sent; its connection is forgotten.
     */
    default List<TraceEvent> traceFrom(final boolean fromUplink, final int protocol, final int destination,
        final int destinationPort, final long timeoutMs) throws InterruptedException
    {
        throw new BerthException("trace needs berthd's userspace dataplane");
    }

    /** {@link #traceFrom} over IPv6, from a LAN host to berthd's uplink IPv6 address side (issue 27). */
    default List<TraceEvent> traceFromIpv6(final int protocol, final long[] destination, final int destinationPort,
        final long timeoutMs) throws InterruptedException
    {
        throw new BerthException("trace needs berthd's userspace dataplane");
    }
}
