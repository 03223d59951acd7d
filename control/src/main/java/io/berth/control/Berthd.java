package io.berth.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.api.ApiServer;
import io.berth.control.api.RequestHandler;
import io.berth.control.cli.ServedCli;
import io.berth.control.client.SocketPath;
import io.berth.control.cni.CniService;
import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.DataplaneOptions;
import io.berth.control.dataplane.UplinkSpec;
import io.berth.control.dataplane.UserspaceDataplane;
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
import io.berth.control.ipam.LocalIpam;
import io.berth.control.journal.CheckedJournal;
import io.berth.control.journal.Journal;
import io.berth.control.metrics.MetricsServer;
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
import io.berth.control.wire.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
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

    @Option(names = "--uplink", paramLabel = "IFACE", description = "drive IFACE (a NIC or veth end in berthd's " +
        "namespace, holding no kernel address) as the way out; without it berth is host-only")
    private String uplinkIface;

    @Option(names = "--uplink-ip", paramLabel = "CIDR", description = "the address berthd owns on the uplink, " +
        "with its subnet's prefix, e.g. 10.99.0.1/24 (needs --uplink)")
    private String uplinkIp;

    @Option(names = "--uplink-gateway", paramLabel = "IP", description = "next hop for everything outside the " +
        "uplink subnet (inside it; default: none, only the uplink subnet is reachable)")
    private String uplinkGateway;

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

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new Berthd()).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        try
        {
            Logging.configure(logLevel);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("berthd: " + ex.getMessage());
            return 1;
        }
        final Path socketPath = SocketPath.of(socket).toAbsolutePath();
        final Path state = stateDir.toAbsolutePath();
        final FileChannel lockFile;
        try
        {
            ApiServer.checkNotInUse(socketPath);
            StartChecks.checkStateDir(state);
            lockFile = FileChannel.open(state.resolve("berthd.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        }
        catch (final BerthException ex)
        {
            System.err.println("berthd: " + ex.getMessage());
            return 1;
        }
        catch (final IOException ex)
        {
            System.err.println("berthd: cannot use state dir " + state + ": " + ex.getMessage() + "; give --state-dir " +
                "a writable directory");
            return 1;
        }
        final FileLock lock = lockFile.tryLock();
        if (lock == null)
        {
            System.err.println("berthd: state dir " + state + " is in use by another berthd; give each berthd its " +
                "own --state-dir");
            return 1;
        }

        final UplinkSpec uplink;
        final Duration flowRetention;
        final DataplaneOptions dataplaneOptions;
        final EmbeddedDns dns;
        try
        {
            uplink = StartChecks.uplinkSpec(uplinkIface, uplinkIp, uplinkGateway, !"noop".equals(dataplaneKind));
            UserspaceDataplane.checkWorkers(workers);
            dataplaneOptions = DataplaneOptions.parse(conntrackMax, conntrackTimeouts,
                DataplaneOptions.parseSpin(spinMicros))
                .withFragMax(fragMax).withMacAge(macAge);
            final ResolvConf hostResolv =
                ResolvConf.read(Path.of("/etc/resolv.conf"));
            dns = EmbeddedDns.inNamespaces(dnsUpstreams.isEmpty() ? hostResolv.upstreams() :
                Upstreams.parse(dnsUpstreams), hostResolv);
            if (metricsAddr != null)
            {
                StartChecks.probeFree(metricsAddr);
            }
            flowRetention = StartChecks.flowLogRetention(flowLog, flowLogStart, flowLogRetention, !"noop".equals(dataplaneKind));
        }
        catch (final BerthException | IllegalArgumentException ex)
        {
            System.err.println("berthd: " + ex.getMessage());
            return 1;
        }

        final StoreAccess storeAccess;
        final String nodeName;
        try
        {
            if (store == null && (storeCa != null || storeCert != null || storeKey != null || storeUser != null ||
                storePasswordFile != null))
            {
                throw new BerthException("--store-ca, --store-cert, --store-key, --store-user and " +
                    "--store-password-file need --store etcd[s]://HOST:PORT");
            }
            storeAccess = store == null ? null :
                StoreAccess.of(store, storeCa, storeCert, storeKey, storeUser, storePasswordFile);
            nodeName = node == null || node.isEmpty() ? StartChecks.hostname() : StartChecks.checkNodeName(node);
        }
        catch (final BerthException ex)
        {
            System.err.println("berthd: " + ex.getMessage());
            return 1;
        }
        final GlobalStoreStart.Connection storeConnection;
        try
        {
            storeConnection = storeAccess == null ? null :
                GlobalStoreStart.connect(storeAccess, nodeName, storeTtl, uplink, state);
        }
        catch (final BerthException | IllegalArgumentException ex)
        {
            System.err.println("berthd: --store " + store + ": " + ex.getMessage());
            return 1;
        }
        final EtcdStore etcdStore = storeConnection == null ? null : storeConnection.etcd();
        final StoreIntegrity integrity = storeConnection == null ? null : storeConnection.integrity();
        final DataplaneOptions pathOptions =
            dataplaneOptions.withOverlay(etcdStore != null && uplink != null);

        final ExecutorService controlThread = Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "berth-control");
            thread.setDaemon(false);
            return thread;
        });
        final HostMountNamespace hostMounts = HostMountNamespace.discover();
        final Dataplane dataplane;
        try
        {
            dataplane = "noop".equals(dataplaneKind) ? new NoopDataplane() :
                new UserspaceDataplane(state.resolve("dataplane"), pathOptions, ioUring, workers);
        }
        catch (final IOException e)
        {
            System.err.println("berthd: --io-uring: " + e.getMessage() + "; run without --io-uring");
            return 1;
        }
        final Journal[] journal = new Journal[1];
        final FlowLog[] flows = new FlowLog[1];
        final NetnsSandboxes sandboxes = new NetnsSandboxes(hostMounts);
        final ControlService service;
        final UserlandProxy proxy;
        try
        {
            proxy = new UserlandProxy();
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.ERROR, "cannot start the userland proxy: " + ex.getMessage());
            return 1;
        }
        try
        {
            // started first: networks added after this get their host routes over berth0
            dataplane.start();
            // tracked connections and their NAT translations from before the restart (SIGTERM saves them, and a
            // saver every second, and the NAT bindings mirrored as made keep them across a SIGKILL): restored before
            // any port is read again
            // (the uplink included: a packet that came first would be picked up mid-stream, or dropped)
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
            if (flowLog)
            {
                final Dataplane.FlowSource source = dataplane.flowLog(flowLogStart);
                flows[0] = new FlowLog(state.resolve("flows"), source.ring(), source.lost(),
                    flowRetention);
            }
            if (uplink != null)
            {
                try
                {
                    dataplane.attachUplink(uplink);
                }
                catch (final IOException ex)
                {
                    LOG.log(System.Logger.Level.ERROR, "cannot attach uplink " + uplink.iface() + ": " + ex.getMessage());
                    proxy.close();
                    dataplane.close();
                    return 1;
                }
            }
            service = onControlThread(controlThread, () ->
            {
                if (repair)
                {
                    CheckedJournal.repair(state).forEach(line -> System.err.println("berthd: repair: " + line));
                }
                journal[0] = new CheckedJournal(state);
                // the composition root: every driver, store and endpoint service berthd offers is registered here
                final GlobalStore global = etcdStore == null ? null :
                    new GlobalStore(etcdStore, state.resolve("global-networks.json")).integrity(integrity);
                final OverlayDriver.Cluster cluster = global == null || uplink == null ? null :
                    new OverlayDriver.Cluster(global, nodeName, uplink.ip());
                final String missing = global == null && uplink == null ?
                    "berthd --store etcd://HOST:PORT and --uplink IFACE --uplink-ip CIDR (its address is the VTEP)" :
                    global == null ? "berthd --store etcd://HOST:PORT (the store its networks are shared through)" :
                    "berthd --uplink IFACE --uplink-ip CIDR (the uplink address is the VTEP)";
                final DriverRegistry drivers = Drivers.all(dataplane, cluster, missing);
                final Stores stores = new Stores(journal[0]);
                if (global != null)
                {
                    stores.add(global);
                }
                final Services services = new Services().register(new LoopbackPublishing(proxy)).register(dns);
                if (flows[0] != null)
                {
                    services.register(flows[0]); // which container an address is
                }
                final Map<Cidr, String> hostRanges = new LinkedHashMap<>();
                if (uplink != null)
                {
                    final Cidr uplinkSubnet = new Cidr(
                        uplink.ip() & Cidr.mask(uplink.prefixLength()), uplink.prefixLength());
                    hostRanges.put(uplinkSubnet, "the uplink's subnet, --uplink-ip " + Ipv4.format(uplink.ip()) + "/" +
                        uplink.prefixLength());
                }
                final ControlService created = new ControlService(new State(new LocalIpam(hostRanges, uplink == null
                    ? Map.of() : Map.of(uplink.ip(), "berthd's uplink address"))),
                    stores, dataplane, drivers, services, sandboxes, state, new Ids(),
                    Clock.systemUTC(), uplink == null ? 0 : uplink.ip());
                created.observe().addCounters("dns", () -> dns.counters().snapshot());
                if (global != null)
                {
                    GlobalStoreStart.count(created, global, integrity);
                }
                if (flows[0] != null)
                {
                    created.observe().addCounters("flow_log", flows[0]::counters);
                }
                final List<String> problems = created.restore();
                problems.forEach(problem -> LOG.log(System.Logger.Level.WARNING, problem));
                if (global != null)
                {
                    GlobalStoreStart.follow(created, global, integrity, (OverlayDriver)drivers.get(OverlayDriver.NAME),
                        dns, controlThread);
                }
                return created;
            });
        }
        catch (final RuntimeException ex)
        {
            if (ex instanceof BerthException)
            {
                System.err.println("berthd: cannot start: " + ex.getMessage()); // a refusal: one sentence, no trace
            }
            else
            {
                LOG.log(System.Logger.Level.ERROR, "cannot start: " + ex.getMessage(), ex);
            }
            if (journal[0] != null)
            {
                journal[0].close();
            }
            controlThread.shutdownNow();
            proxy.close();
            if (flows[0] != null)
            {
                flows[0].close();
            }
            dataplane.close();
            return 1;
        }

        final ObjectNode info = Json.WIRE.createObjectNode();
        info.put("Pid", ProcessHandle.current().pid());
        info.put("Socket", socketPath.toString());
        info.put("StateDir", state.toString());
        if (uplink != null)
        {
            info.put("Uplink", uplink.iface());
            info.put("UplinkIp", Ipv4.format(uplink.ip()) + "/" + uplink.prefixLength());
            info.put("UplinkGateway", uplink.gateway() == 0 ? "" : Ipv4.format(uplink.gateway()));
        }
        final RequestHandler handler = new RequestHandler(service, sandboxes, info);
        final ApiServer api = new ApiServer(socketPath, controlThread, handler::handle);
        api.streamer(RequestHandler.captureStream(service, controlThread));
        api.streamer(RequestHandler.flowStream(flows[0]));
        api.streamer(RequestHandler.traceStream(service, controlThread));
        api.streamer(RequestHandler.exposureStream(service, controlThread));
        api.streamer(new ServedCli(api::call));
        api.streamer(new CniService(service, sandboxes, controlThread));

        final ConnectionSaver saver = new ConnectionSaver(dataplane, state).start();

        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            api.close();
            saver.close(); // SIGTERM: the tables as they are now
            try
            {
                onControlThread(controlThread, () ->
                {
                    journal[0].close();
                    return null;
                });
            }
            catch (final RuntimeException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "closing the journal: " + ex.getMessage());
            }
            controlThread.shutdown();
            try
            {
                controlThread.awaitTermination(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            proxy.close();
            dns.close();
            if (flows[0] != null)
            {
                try
                {
                    flows[0].flush(); // what the worker handed over before it stops
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                flows[0].close();
            }
            if (integrity != null)
            {
                integrity.close();
            }
            if (etcdStore != null)
            {
                etcdStore.close(); // its lease ends with the TTL: a restart within it keeps the endpoints seen
            }
            dataplane.close();
            hostMounts.close();
            try
            {
                lock.release();
                lockFile.close();
            }
            catch (final IOException ignored)
            {
                // the lock goes with the process anyway
            }
            LOG.log(System.Logger.Level.INFO, "stopped");
            System.err.println("berthd stopped"); // always: scripts wait for it
            stopped.countDown();
        }, "berth-shutdown"));

        if (metricsAddr != null)
        {
            try
            {
                final MetricsServer metrics = MetricsServer.start(
                    metricsAddr, () -> onControlThread(controlThread, handler::countersView));
                Runtime.getRuntime().addShutdownHook(new Thread(metrics::close, "berth-metrics-close"));
            }
            catch (final IOException ex)
            {
                System.err.println("berthd: cannot serve metrics on " + metricsAddr + ": " + ex.getMessage());
                System.exit(1); // the shutdown hook above puts everything away
            }
        }
        api.start();
        System.out.println("berthd ready on " + socketPath + " (state " + state + ", pid " +
            ProcessHandle.current().pid() + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** Runs {@code task} on the control thread and waits for it; its RuntimeException is rethrown as is. */
    private static <T> T onControlThread(final ExecutorService controlThread, final Callable<T> task)
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
