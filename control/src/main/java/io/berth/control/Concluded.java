package io.berth.control;

import io.berth.control.dataplane.DataplaneOptions;
import io.berth.control.dataplane.PortType;
import io.berth.control.dataplane.UplinkSpec;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.store.etcd.StoreAccess;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * berthd's options, every one checked once before anything is made or changed ({@link Berthd}'s {@code conclude()},
 * as Aeron's context concludes): what the start builds from. Null means "not given". Immutable.
 *
 * @param dockerPluginSocket where the Docker plugin is served, or null without one.
 * @param dockerHost         dockerd's API socket, read for Docker's container names.
 * @param metricsAddr        where Prometheus metrics are served, or null.
 */
record Concluded(Path socket, Path state, UplinkSpec uplink, DataplaneOptions dataplaneOptions,
    Duration flowRetention, StoreAccess storeAccess, String nodeName, List<InetSocketAddress> dnsUpstreams,
    Path dockerPluginSocket, PortType portType, String dockerHost, String metricsAddr, int wgPort, Ipv6Cidr ipv6Pool)
{
}
