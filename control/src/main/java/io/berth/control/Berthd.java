package io.berth.control;

import io.berth.control.api.ApiServer;
import io.berth.control.client.SocketPath;
import io.berth.control.docker.DockerNames;
import io.berth.control.docker.DockerPluginServer;
import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.DataplaneOptions;
import io.berth.control.dataplane.UplinkSpec;
import io.berth.control.dataplane.PortType;
import io.berth.control.dataplane.UserspaceDataplane;
import io.berth.control.dataplane.WireGuardKeyFile;
import io.berth.control.dns.EmbeddedDns;
import io.berth.control.dns.ResolvConf;
import io.berth.control.dns.Upstreams;
import io.berth.control.driver.Drivers;
import io.berth.control.driver.overlay.OverlayDriver;
import io.berth.control.driver.spi.DriverRegistry;
import io.berth.control.error.BerthException;
import io.berth.control.flowlog.FlowLog;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Subnets;
import io.berth.control.ipam.LocalIpam;
import io.berth.control.journal.CheckedJournal;
import io.berth.control.journal.Journal;
import io.berth.control.proxy.LoopbackPublishing;
import io.berth.control.proxy.UserlandProxy;
import io.berth.control.sandbox.HostMountNamespace;
import io.berth.control.sandbox.NetnsSandboxes;
import io.berth.control.service.Services;
import io.berth.control.state.ControlService;
import io.berth.control.state.Ids;
import io.berth.control.state.State;
import io.berth.control.store.Stores;
import io.berth.control.store.etcd.EtcdStore;
import io.berth.control.store.etcd.GlobalStore;
import io.berth.control.store.etcd.StoreAccess;
import io.berth.control.store.etcd.StoreIntegrity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * berthd, the per-host daemon and composition root: takes the state dir, replays the journal, starts the
 * dataplane, re-attaches every endpoint, and serves the API until SIGTERM. Its main thread only builds and then
 * waits; the control thread ("berth-control") owns the journal and the state; the shutdown hook tears down.
 */
@Command(name = "berthd", mixinStandardHelpOptions = true, version = "berthd 0.1.0",
    description = "berth's per-host daemon: owns every container port and switches their packets in userspace.")
public final class Berthd implements Callable<Integer>
{
    private static final System.Logger LOG = System.getLogger("io.berth.control");
    public static final String DEFAULT_SOCKET = SocketPath.DEFAULT;
    public static final String DEFAULT_STATE_DIR = "/var/lib/berth";

    @Option(names = "--socket", paramLabel = "PATH",
        description = "API socket (default: $BERTH_SOCKET, else " + DEFAULT_SOCKET + ")")
    private Path socket;

    @Option(names = "--docker-plugin", description = "serve Docker's network and IPAM driver \"berth\" (docker " +
        "network create -d berth --ipam-driver berth) on " + "/run/docker/plugins/berth.sock; start berthd before " +
        "dockerd")
    private boolean dockerPlugin;

    @Option(names = "--docker-plugin-socket", paramLabel = "PATH", description = "serve the Docker plugin on PATH " +
        "instead (implies --docker-plugin; Docker names the driver after the file: PATH/NAME.sock is driver NAME)")
    private Path dockerPluginSocket;

    @Option(names = "--docker-host", paramLabel = "unix:///PATH", description = "dockerd's API socket, read (never " +
        "inside a plugin call) for the names of Docker's containers (default: ${DEFAULT-VALUE})")
    private String dockerHost = "unix:///var/run/docker.sock";

    @Option(names = "--state-dir", paramLabel = "DIR", description = "journal, logs, dataplane state (default: "
        + DEFAULT_STATE_DIR + ")")
    private Path stateDir = Path.of(DEFAULT_STATE_DIR);

    @Option(names = "--dataplane", hidden = true, description = "userspace (default) or noop (develop the " +
        "control plane without devices)")
    private String dataplaneKind = "userspace";

    @Option(names = "--conntrack-max", paramLabel = "N", description = "connections tracked at most; new ones " +
        "beyond are refused and counted (default: ${DEFAULT-VALUE})")
    private int conntrackMax = DataplaneOptions.DEFAULT_CONNTRACK_MAX;

    @Option(names = "--conntrack-timeout", paramLabel = "NAME=SECONDS", description = "a conntrack timeout, " +
        "repeatable: tcp_syn_sent, tcp_syn_recv, tcp_established, tcp_fin_wait, tcp_close_wait, tcp_last_ack, " +
        "tcp_time_wait, tcp_close, tcp_unacknowledged, udp, udp_stream, icmp (as Linux's nf_conntrack_*_timeout*)")
    private List<String> conntrackTimeouts = new ArrayList<>();

    @Option(names = "--frag-max", paramLabel = "DATAGRAMS", description = "routed IPv4 datagrams in reassembly at " +
        "most, a quarter of them per source address; beyond, the oldest is dropped (default: ${DEFAULT-VALUE})")
    private int fragMax = DataplaneOptions.DEFAULT_FRAG_MAX;

    @Option(names = "--metrics-addr", paramLabel = "HOST:PORT", description = "serve Prometheus metrics at " +
        "http://HOST:PORT/metrics (ports, drops by node and reason, conntrack, NAT, MAC tables, DNS, the JVM); " +
        "off by default")
    private String metricsAddr;

    @Option(names = "--dns-upstream", paramLabel = "IP[:PORT]", description = "where the embedded DNS (127.0.0.11 " +
        "in containers on user-defined networks) forwards names that are not containers'; repeatable, tried in " +
        "order (default: the nameservers of /etc/resolv.conf, loopback ones included)")
    private List<String> dnsUpstreams = new ArrayList<>();

    @Option(names = "--mac-age", paramLabel = "SECONDS", description = "how long a learned MAC address stays in a " +
        "network's table without a frame from it, as the kernel bridge's ageing_time (default: ${DEFAULT-VALUE})")
    private int macAge = DataplaneOptions.DEFAULT_MAC_AGE_SECONDS;

    @Option(names = "--spin-us", paramLabel = "auto|MICROS", description = "how long the dataplane worker keeps " +
        "polling after traffic before it sleeps in epoll: auto (the default) adapts the window to the gaps in the " +
        "traffic, 50 us to 20 ms; MICROS fixes it (0: never poll on; more = lower latency, more CPU)")
    private String spinMicros = "auto";

    @Option(names = "--workers", paramLabel = "N", description = "dataplane threads: 1 (the default) runs every " +
        "port and the graph on one; N > 1 adds N-1 port workers that read and write a share of the containers' " +
        "ports, the graph and its tables staying on the first (see docs/design.md)")
    private int workers = 1;

    @Option(names = "--port-type", paramLabel = "tap|afxdp", description = "how containers' eth0 is driven when " +
        "their network does not say (-o port=): tap (the default: TSO, the best bulk TCP) or afxdp (a veth read " +
        "through XDP and an AF_XDP socket: the best small-frame rate, needs ethtool; see README)")
    private String portType = "tap";

    @Option(names = "--io-uring", description = "batch the dataplane's TAP and packet-socket writes: one " +
        "io_uring_enter per transmit pass instead of one write syscall per frame (see docs/performance.md)")
    private boolean ioUring;

    @Option(names = "--flow-log", description = "record every connection's end (tuples before and after NAT, " +
        "container, packets and bytes each way, duration, reason) in STATE/flows; `berth flows` reads it")
    private boolean flowLog;

    @Option(names = "--flow-log-start", description = "with --flow-log, record connection starts too (when the " +
        "other side first answers)")
    private boolean flowLogStart;

    @Option(names = "--flow-log-retention", paramLabel = "DURATION", description = "how long flow records are " +
        "kept, e.g. 90m, 24h, 7d (default: 24h; whole five-minute files are deleted)")
    private String flowLogRetention = "24h";

    @Option(names = "--repair", description = "before starting, keep every readable record of a damaged journal " +
        "(in a fresh journal; the old one is kept aside) and report what was dropped")
    private boolean repair;

    @Option(names = "--log-level", paramLabel = "LEVEL", description = "how much berthd logs to stderr: " +
        Logging.LEVELS + " (default: warning)")
    private String logLevel = "warning";

    @Mixin
    private UplinkOptions uplinkOptions = new UplinkOptions();

    @Option(names = "--store", paramLabel = "etcd[s]://HOST:PORT[,HOST:PORT...]", description = "the global " +
        "store (a real etcd, one member or several) that overlay networks, their addresses and endpoints are " +
        "shared through; reached through the kernel stack of berthd's namespace (a management interface); " +
        "etcds:// speaks TLS")
    private String store;

    @Option(names = "--store-ca", paramLabel = "FILE", description = "PEM CA bundle etcd's server certificate " +
        "is verified against (etcds://; default: the JDK's trusted CAs)")
    private String storeCa;

    @Option(names = "--store-cert", paramLabel = "FILE", description = "PEM client certificate for etcd's " +
        "--client-cert-auth (etcds://, with --store-key)")
    private String storeCert;

    @Option(names = "--store-key", paramLabel = "FILE", description = "the client certificate's PEM private key " +
        "(PKCS#8)")
    private String storeKey;

    @Option(names = "--store-user", paramLabel = "NAME", description = "etcd user (etcd's own authentication, " +
        "with --store-password-file)")
    private String storeUser;

    @Option(names = "--store-password-file", paramLabel = "FILE", description = "file holding the etcd user's " +
        "password on one line")
    private String storePasswordFile;

    @Option(names = "--node", paramLabel = "NAME", description = "this host's name in the store (default: the " +
        "hostname)")
    private String node;

    @Option(names = "--store-ttl", paramLabel = "SECONDS", description = "how long this host's endpoints outlive " +
        "it in the store when it dies (its lease; default: ${DEFAULT-VALUE})")
    private long storeTtl = 10;

    @Option(names = "--default-pool6", paramLabel = "CIDR", description = "where dual-stack networks without an " +
        "IPv6 --subnet get their /64 (default: fd00:ba::/48)")
    private String defaultPool6;

    @Option(names = "--wg-port", paramLabel = "PORT", description = "the UDP port encrypted overlays' WireGuard " +
        "listens on, on the uplink address (default: ${DEFAULT-VALUE})")
    private int wgPort = 51820;

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new Berthd()).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        final Concluded options;
        try
        {
            options = conclude();
        }
        catch (final BerthException | IllegalArgumentException ex)
        {
            System.err.println("berthd: " + ex.getMessage());
            return 1;
        }
        final CloseAll closeAll = new CloseAll();
        final ApiServer api;
        try
        {
            api = start(options, closeAll);
        }
        catch (final BerthException ex)
        {
            System.err.println("berthd: " + ex.getMessage()); // a refusal: one sentence, no trace
            closeAll.close();
            return 1;
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.ERROR, "cannot start: " + ex.getMessage(), ex);
            closeAll.close();
            return 1;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            closeAll.close();
            LOG.log(System.Logger.Level.INFO, "stopped");
            System.err.println("berthd stopped"); // always: scripts wait for it
            stopped.countDown();
        }, "berth-shutdown"));
        api.start();
        System.out.println("berthd ready on " + options.socket() + " (state " + options.state() + ", pid " +
            ProcessHandle.current().pid() + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }

    private Concluded conclude()
    {
        Logging.configure(logLevel);
        final Path socketPath = SocketPath.of(socket).toAbsolutePath();
        final Path state = stateDir.toAbsolutePath();
        try
        {
            ApiServer.checkNotInUse(socketPath);
        }
        catch (final IOException ex)
        {
            throw new BerthException("cannot check the API socket " + socketPath + ": " + ex.getMessage() +
                "; give --socket a path berthd may use");
        }
        StartChecks.checkStateDir(state);
        final UplinkSpec uplink = uplinkOptions.spec(!"noop".equals(dataplaneKind));
        DataplaneOptions.checkWorkers(workers);
        final DataplaneOptions dataplaneOptions = DataplaneOptions.parse(conntrackMax, conntrackTimeouts,
            DataplaneOptions.parseSpin(spinMicros)).withFragMax(fragMax).withMacAge(macAge);
        if (metricsAddr != null)
        {
            StartChecks.probeFree(metricsAddr);
        }
        final Duration flowRetention = StartChecks.flowLogRetention(flowLog, flowLogStart, flowLogRetention,
            !"noop".equals(dataplaneKind));
        final List<InetSocketAddress> upstreams = dnsUpstreams.isEmpty() ? null : Upstreams.parse(dnsUpstreams);
        if (store == null && (storeCa != null || storeCert != null || storeKey != null || storeUser != null ||
            storePasswordFile != null))
        {
            throw new BerthException("--store-ca, --store-cert, --store-key, --store-user and " +
                "--store-password-file need --store etcd[s]://HOST:PORT");
        }
        final StoreAccess storeAccess = store == null ? null :
            StoreAccess.of(store, storeCa, storeCert, storeKey, storeUser, storePasswordFile);
        final String nodeName = node == null || node.isEmpty() ? StartChecks.hostname() : StartChecks.checkNodeName(node);
        return new Concluded(socketPath, state, uplink, dataplaneOptions.withOverlay(storeAccess != null &&
            uplink != null), flowRetention, storeAccess, nodeName, upstreams, dockerPluginSocket(),
            PortType.parse(portType, "--port-type"), dockerHost, metricsAddr, StartChecks.wgPort(wgPort),
            defaultPool6 == null ? Ipv6Subnets.DEFAULT_POOL : Ipv6Subnets.checkPool(defaultPool6));
    }

    /** The Docker plugin's socket, or null without --docker-plugin and --docker-plugin-socket. */
    private Path dockerPluginSocket()
    {
        if (dockerPluginSocket != null)
        {
            final Path fileName = dockerPluginSocket.getFileName();
            final String file = fileName == null ? "" : fileName.toString();
            if (!file.endsWith(".sock") || file.length() == ".sock".length())
            {
                throw new BerthException("--docker-plugin-socket " + dockerPluginSocket + ": dockerd finds plugins " +
                    "by NAME.sock; give a path ending in a name and .sock (e.g. /run/docker/plugins/berth.sock)");
            }
            dockerPlugin = true;
        }
        try
        {
            DockerNames.check(dockerHost);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new BerthException(ex.getMessage());
        }
        return !dockerPlugin ? null : dockerPluginSocket != null ? dockerPluginSocket.toAbsolutePath() :
            DockerPluginServer.DEFAULT_SOCKET;
    }

    /**
     * Builds berthd's parts in order, each handed to {@code closeAll} as it is made (a failure part-way leaves
     * {@code closeAll} holding exactly what was made), and returns the API server, not yet accepting.
     */
    private ApiServer start(final Concluded o, final CloseAll closeAll) throws IOException
    {
        final Path state = o.state();
        final FileChannel lockFile;
        try
        {
            lockFile = closeAll.add("the state dir's lock file", FileChannel.open(state.resolve("berthd.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE));
        }
        catch (final IOException ex)
        {
            throw new BerthException("cannot use state dir " + state + ": " + ex.getMessage() + "; give --state-dir " +
                "a writable directory");
        }
        if (closeAll.add("the state dir's lock", lockFile.tryLock()) == null)
        {
            throw new BerthException("state dir " + state + " is in use by another berthd; give each berthd its " +
                "own --state-dir");
        }
        // a host that can have overlays has a WireGuard key from its first start on, for encrypted ones
        final WireGuardKeyFile.Identity wireGuard = o.dataplaneOptions().overlay()
            ? WireGuardKeyFile.loadOrCreate(state.resolve("wireguard.key")) : null;
        final GlobalStoreStart.Connection storeConnection;
        try
        {
            storeConnection = o.storeAccess() == null ? null : GlobalStoreStart.connect(o.storeAccess(), o.nodeName(),
                storeTtl, o.uplink(), wireGuard == null ? null : wireGuard.publicKey(), o.wgPort(), state);
        }
        catch (final BerthException | IllegalArgumentException ex)
        {
            throw new BerthException("--store " + store + ": " + ex.getMessage());
        }
        // its lease ends with the TTL: a restart within it keeps the endpoints seen
        final EtcdStore etcdStore = closeAll.add("the store", storeConnection == null ? null : storeConnection.etcd());
        final StoreIntegrity integrity = closeAll.add("the store's integrity check",
            storeConnection == null ? null : storeConnection.integrity());
        final HostMountNamespace hostMounts = closeAll.add("the host's mount namespace", HostMountNamespace.discover());
        final Dataplane dataplane;
        try
        {
            if ("noop".equals(dataplaneKind))
            {
                dataplane = closeAll.add("the dataplane", new NoopDataplane());
            }
            else
            {
                final UserspaceDataplane userspace = closeAll.add("the dataplane",
                    new UserspaceDataplane(state.resolve("dataplane"), o.dataplaneOptions(), ioUring, workers));
                userspace.defaultPortType(o.portType());
                dataplane = userspace;
            }
        }
        catch (final IOException e)
        {
            throw new BerthException("--io-uring: " + e.getMessage() + "; run without --io-uring");
        }
        final ResolvConf hostResolv = ResolvConf.read(Path.of("/etc/resolv.conf"));
        final EmbeddedDns dns = closeAll.add("the embedded DNS", EmbeddedDns.inNamespaces(o.dnsUpstreams() == null ?
            hostResolv.upstreams() : o.dnsUpstreams(), hostResolv));
        final UserlandProxy proxy;
        try
        {
            proxy = closeAll.add("the userland proxy", new UserlandProxy());
        }
        catch (final IOException ex)
        {
            throw new BerthException("cannot start the userland proxy: " + ex.getMessage());
        }
        final ExecutorService controlThread = Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "berth-control");
            thread.setDaemon(false);
            return thread;
        });
        closeAll.addStep("the control thread", () ->
        {
            controlThread.shutdown();
            controlThread.awaitTermination(10, TimeUnit.SECONDS);
        });
        // started first: networks added after this get their host routes over berth0
        dataplane.start();
        restoreConnections(dataplane, state);
        final FlowLog flows = flowLog ? flowLog(dataplane, o.flowRetention(), state) : null;
        closeAll.addStep("the flow log", () ->
        {
            if (flows != null)
            {
                flows.flush(); // what the worker handed over before it stops
                flows.close();
            }
        });
        if (o.uplink() != null)
        {
            try
            {
                dataplane.attachUplink(o.uplink());
                if (wireGuard != null && !"noop".equals(dataplaneKind))
                {
                    dataplane.startWireGuard(wireGuard.privateKey(), o.wgPort());
                }
            }
            catch (final IOException ex)
            {
                throw new BerthException("cannot attach uplink " + o.uplink().iface() + ": " + ex.getMessage());
            }
        }
        final NetnsSandboxes sandboxes = new NetnsSandboxes(hostMounts);
        final ControlService service;
        try
        {
            service = onControlThread(controlThread, () -> compose(o, openJournal(state, closeAll, controlThread),
                etcdStore, integrity, dataplane, dns, proxy, flows, sandboxes, controlThread,
                wireGuard == null ? null : wireGuard.publicKey()));
        }
        catch (final BerthException ex)
        {
            throw new BerthException("cannot start: " + ex.getMessage()); // the journal or the restore refused
        }

        closeAll.add("the connection saver", new ConnectionSaver(dataplane, state).start()); // SIGTERM: the tables now
        return FrontEnds.serve(o, service, sandboxes, flows, controlThread, closeAll);
    }

    /** The journal (repaired first when asked), its close handed to {@code closeAll}. Control thread. */
    private Journal openJournal(final Path state, final CloseAll closeAll, final ExecutorService controlThread)
    {
        if (repair)
        {
            CheckedJournal.repair(state).forEach(line -> System.err.println("berthd: repair: " + line));
        }
        final Journal journal = new CheckedJournal(state);
        closeAll.addStep("the journal", () -> onControlThread(controlThread, () ->
        {
            journal.close();
            return null;
        }));
        return journal;
    }

    /**
     * Tracked connections and their NAT translations from before the restart (SIGTERM saves them, a saver every
     * second, and the NAT bindings mirrored as made keep them across a SIGKILL), restored before any port is read
     * again, the uplink included: a packet that came first would be picked up mid-stream, or dropped.
     */
    private static void restoreConnections(final Dataplane dataplane, final Path state)
    {
        try
        {
            final int restored = dataplane.restoreConnections(state.resolve(ConnectionSaver.FILE));
            if (restored > 0)
            {
                LOG.log(System.Logger.Level.INFO, "restored " + restored + " tracked connection(s)");
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "tracked connections from before the restart are lost: " +
                state.resolve(ConnectionSaver.FILE) + ": " + ex.getMessage());
        }
    }

    private FlowLog flowLog(final Dataplane dataplane, final Duration retention, final Path state) throws IOException
    {
        final Dataplane.FlowSource source = dataplane.flowLog(flowLogStart);
        return new FlowLog(state.resolve("flows"), source.ring(), source.lost(), retention);
    }

    /**
     * The composition root proper, on the control thread: every driver, store and endpoint service berthd offers
     * is registered here, the state is restored, and the global store followed.
     */
    private static ControlService compose(final Concluded o, final Journal journal, final EtcdStore etcdStore,
        final StoreIntegrity integrity, final Dataplane dataplane, final EmbeddedDns dns, final UserlandProxy proxy,
        final FlowLog flows, final NetnsSandboxes sandboxes, final ExecutorService controlThread,
        final String wireGuardKey)
    {
        final UplinkSpec uplink = o.uplink();
        final GlobalStore global = etcdStore == null ? null :
            new GlobalStore(etcdStore, o.state().resolve("global-networks.json")).integrity(integrity);
        final OverlayDriver.Cluster cluster = global == null || uplink == null ? null :
            new OverlayDriver.Cluster(global, o.nodeName(), uplink.ip(), wireGuardKey, o.wgPort());
        final String missing = global == null && uplink == null ?
            "berthd --store etcd://HOST:PORT and --uplink IFACE --uplink-ip CIDR (its address is the VTEP)" :
            global == null ? "berthd --store etcd://HOST:PORT (the store its networks are shared through)" :
            "berthd --uplink IFACE --uplink-ip CIDR (the uplink address is the VTEP)";
        final DriverRegistry drivers = Drivers.all(dataplane, cluster, missing);
        final Stores stores = new Stores(journal);
        if (global != null)
        {
            stores.add(global);
        }
        final Services services = new Services().register(new LoopbackPublishing(proxy)).register(dns);
        if (flows != null)
        {
            services.register(flows); // which container an address is
        }
        final Map<Cidr, String> hostRanges = new LinkedHashMap<>();
        if (uplink != null)
        {
            final Cidr uplinkSubnet = new Cidr(uplink.ip() & Cidr.mask(uplink.prefixLength()), uplink.prefixLength());
            hostRanges.put(uplinkSubnet, "the uplink's subnet, --uplink-ip " + Ipv4.format(uplink.ip()) + "/" +
                uplink.prefixLength());
        }
        final ControlService created = new ControlService(new State(new LocalIpam(hostRanges, uplink == null
            ? Map.of() : Map.of(uplink.ip(), "berthd's uplink address")).ipv6Pool(o.ipv6Pool())),
            stores, dataplane, drivers, services, sandboxes, o.state(), new Ids(),
            Clock.systemUTC(), uplink == null ? 0 : uplink.ip());
        created.observe().addCounters("dns", () -> dns.counters().snapshot());
        if (global != null)
        {
            GlobalStoreStart.count(created, global, integrity);
        }
        if (flows != null)
        {
            created.observe().addCounters("flow_log", flows::counters);
        }
        final List<String> problems = created.restore();
        problems.forEach(problem -> LOG.log(System.Logger.Level.WARNING, problem));
        if (global != null)
        {
            GlobalStoreStart.follow(created, global, integrity, (OverlayDriver)drivers.get(OverlayDriver.NAME),
                dns, controlThread);
        }
        return created;
    }

    /** Runs {@code task} on the control thread and waits for it; its RuntimeException is rethrown as is. */
    static <T> T onControlThread(final ExecutorService controlThread, final Callable<T> task)
    {
        try
        {
            return controlThread.submit(task).get();
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw new IllegalStateException(ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }
}
