package io.berth.systest;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Several hosts on one underlay, sharing a real etcd, in namespaces this class makes (prefix {@code ov<6 hex>}):
 * <pre>
 *   PREFIX-u   the "LAN": bridge br0, 10.240.0.0/24        PREFIX-m   management: bridge br0, etcd on 10.250.0.1
 *     |  |  |  \__ PREFIX-k  kernel VXLAN peer 10.240.0.50: vx0 + bridge kbr0 + container PREFIX-kc (eth0)
 *     |  |  \_____ host 3: berthd, uplink0 (10.240.0.13, berthd's own), mgmt0 10.250.0.13 (kernel)
 *     |  \________ host 2: 10.240.0.12 / 10.250.0.12
 *     \___________ host 1: 10.240.0.11 / 10.250.0.11
 * </pre>
 * Each host is a {@link BerthHost} (its own prefix, namespace and berthd, started with {@code --uplink uplink0
 * --store etcd://10.250.0.1:2379 --node nodeN --store-ttl 3}; with TLS or three members as {@link Etcd} says). {@link #close()} closes the hosts first (their
 * containers are removed through berthd while etcd still answers), then stops etcd, deletes its data dir and
 * every namespace with this lab's prefix. Test thread only.
 */
public final class OverlayLab implements TopologyTestBase.Topology
{
    /** How the lab's etcd runs. */
    public enum Etcd
    {
        /** One member, plain HTTP. */
        PLAIN,
        /** One member speaking TLS only, with {@code --client-cert-auth}: every host has a certificate. */
        TLS,
        /** Three members (10.250.0.1, .2, .3), plain HTTP; every host is given all three. */
        CLUSTER
    }

    public static final String ETCD_IP = "10.250.0.1";
    public static final List<String> MEMBER_IPS = List.of(ETCD_IP, "10.250.0.2", "10.250.0.3");
    public static final String KERNEL_PEER_IP = "10.240.0.50";
    /**
     * The hosts' {@code --store-ttl}: short, so that tests of a dead host's endpoints leaving are quick. A
     * {@link Etcd#CLUSTER} lab runs berthd's default instead ({@link #ttlSeconds()}).
     */
    public static final int TTL_SECONDS = 3;
    /** berthd's default {@code --store-ttl}. */
    public static final int DEFAULT_TTL_SECONDS = 10;

    private final String prefix = String.format("ov%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    private final List<BerthHost> hosts = new ArrayList<>();
    private final Path etcdDir;
    private final Etcd mode;
    /** The running members, by index (one, or three for {@link Etcd#CLUSTER}); null when stopped. */
    private final Process[] members = new Process[3];
    private final Thread hook = new Thread(this::closeQuietly, "overlay-lab-cleanup");

    private OverlayLab(final Etcd mode)
    {
        this.mode = mode;
        try
        {
            etcdDir = Files.createTempDirectory("berth-" + prefix + "-etcd");
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The underlay, etcd and {@code hostCount} berthd hosts. */
    public static OverlayLab start(final int hostCount)
    {
        return start(hostCount, Etcd.PLAIN);
    }

    /** The underlay, etcd as {@code mode} says, and {@code hostCount} berthd hosts. */
    public static OverlayLab start(final int hostCount, final Etcd mode)
    {
        Capabilities.require();
        final boolean haveEtcd = Files.isExecutable(Path.of("/usr/bin/etcd"));
        if (!haveEtcd)
        {
            if ("true".equalsIgnoreCase(System.getenv("CI")))
            {
                fail("CI=true and etcd (etcd-server) is missing: .ci/install-tools installs it");
            }
            Assumptions.assumeTrue(false, "etcd (etcd-server) is not installed");
        }
        final OverlayLab lab = new OverlayLab(mode);
        try
        {
            lab.makeUnderlay();
            if (mode == Etcd.TLS)
            {
                lab.makeCertificates(hostCount);
            }
            lab.startEtcd();
            for (int i = 1; i <= hostCount; i++)
            {
                lab.hosts.add(lab.startHost(i));
            }
            return lab;
        }
        catch (final Throwable t)
        {
            lab.closeQuietly();
            throw t;
        }
    }

    /**
     * The lease TTL the hosts run with. A cluster lab measures a member's stop with what users run: when the
     * member that carried a host's keep-alive stream stops, the lease must be kept alive through another member
     * within the TTL, and that may wait for a leader election (a second or more on a busy machine), more than
     * the short lab TTL leaves.
     */
    public int ttlSeconds()
    {
        return mode == Etcd.CLUSTER ? DEFAULT_TTL_SECONDS : TTL_SECONDS;
    }

    public BerthHost host(final int index)
    {
        return hosts.get(index - 1);
    }

    public static String underlayIp(final int index)
    {
        return "10.240.0." + (10 + index);
    }

    public static String node(final int index)
    {
        return "node" + index;
    }

    public String underlay()
    {
        return prefix + "-u";
    }

    public String kernelPeer()
    {
        return prefix + "-k";
    }

    /** The kernel peer's container namespace. */
    public String kernelContainer()
    {
        return prefix + "-kc";
    }

    // ------------------------------------------------------------------------------------------- topology

    private void makeUnderlay()
    {
        for (final String ns : List.of(underlay(), prefix + "-m"))
        {
            must(Sh.run("ip", "netns", "add", ns));
            must(Sh.run("ip", "-n", ns, "link", "set", "lo", "up"));
            must(Sh.run("ip", "-n", ns, "link", "add", "br0", "type", "bridge"));
            must(Sh.run("ip", "-n", ns, "link", "set", "br0", "up"));
        }
        // etcd's addresses on the management bridge itself
        for (final String ip : MEMBER_IPS)
        {
            must(Sh.run("ip", "-n", prefix + "-m", "addr", "add", ip + "/24", "dev", "br0"));
        }
    }

    private void startEtcd()
    {
        for (int member = 0; member < memberCount(); member++)
        {
            startMember(member);
        }
        for (int member = 0; member < memberCount(); member++)
        {
            awaitMember(member);
        }
    }

    private int memberCount()
    {
        return mode == Etcd.CLUSTER ? 3 : 1;
    }

    /** Starts member {@code member} (0-based) on its data dir, which it keeps across stops. */
    public void startMember(final int member)
    {
        final String name = "lab" + member;
        final String client = (mode == Etcd.TLS ? "https" : "http") + "://" + MEMBER_IPS.get(member) + ":2379";
        final String peer = "http://127.0.0.1:" + (2380 + member);
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", prefix + "-m", "/usr/bin/etcd",
            "--name", name, "--data-dir", etcdDataDirs().get(member).toString(), "--listen-client-urls", client,
            "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--logger", "zap", "--log-outputs", "stderr"));
        if (mode == Etcd.CLUSTER)
        {
            cmd.addAll(List.of("--initial-cluster", "lab0=http://127.0.0.1:2380,lab1=http://127.0.0.1:2381," +
                "lab2=http://127.0.0.1:2382", "--initial-cluster-token", prefix));
        }
        else
        {
            cmd.addAll(List.of("--initial-cluster", name + "=" + peer));
        }
        if (mode == Etcd.TLS)
        {
            cmd.addAll(List.of("--cert-file", pki("server.pem"), "--key-file", pki("server.key"),
                "--client-cert-auth", "--trusted-ca-file", pki("ca.pem")));
        }
        try
        {
            members[member] = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(etcdDir.resolve("etcd" + member + ".log").toFile()))
                .start();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until member {@code member} listens. */
    public void awaitMember(final int member)
    {
        final boolean up = poll(Duration.ofSeconds(20), () -> BerthHost.inNs(prefix + "-m", "bash", "-c",
            "exec 3<>/dev/tcp/" + MEMBER_IPS.get(member) + "/2379").ok());
        assertTrue(up, "etcd member " + member + " did not listen: " + etcdLog());
    }

    /** Stops member {@code member} (SIGTERM), keeping its data. */
    public void stopMember(final int member)
    {
        final Process process = members[member];
        if (process != null)
        {
            Sh.killTree(process.toHandle());
            try
            {
                process.waitFor();
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
            members[member] = null;
        }
    }

    /** Stops etcd (SIGTERM, every member), keeping its data. */
    public void stopEtcd()
    {
        for (int member = 0; member < members.length; member++)
        {
            stopMember(member);
        }
    }

    /** The {@code --store} value the hosts are given. */
    public String store()
    {
        final List<String> hostPorts = new ArrayList<>();
        for (int member = 0; member < memberCount(); member++)
        {
            hostPorts.add(MEMBER_IPS.get(member) + ":2379");
        }
        return (mode == Etcd.TLS ? "etcds://" : "etcd://") + String.join(",", hostPorts);
    }

    /** A file of the lab's certificates (TLS): ca.pem, server.pem/.key, nodeN.pem/.key, rogue.pem/.key. */
    public String pki(final String file)
    {
        return etcdDir.resolve("pki").resolve(file).toString();
    }

    /**
     * A CA, etcd's server certificate (for every member address; also for client use, since etcd's own HTTP
     * gateway calls its gRPC side with it) and a client certificate per host, all made
     * here with openssl (EC P-256, PKCS#8 keys, valid one day); and "rogue", signed by a CA etcd does not trust.
     */
    private void makeCertificates(final int hostCount)
    {
        final Path dir = etcdDir.resolve("pki");
        try
        {
            Files.createDirectories(dir);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
        final StringBuilder script = new StringBuilder("set -e; cd " + dir + "\n" +
            "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1.key 2>/dev/null; }\n" +
            "ca() { key $1; openssl req -x509 -new -key $1.key -out $1.pem -days 1 -subj /CN=$1 2>/dev/null; }\n" +
            "leaf() { key $1; openssl req -new -key $1.key -out $1.csr -subj /CN=$1 2>/dev/null; " +
            "printf \"$3\" > $1.ext; openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial " +
            "-out $1.pem -days 1 -extfile $1.ext 2>/dev/null; }\n" +
            "ca ca; ca rogueca\n" +
            "leaf server ca 'subjectAltName=IP:" + String.join(",IP:", MEMBER_IPS) +
            "\\nextendedKeyUsage=serverAuth,clientAuth'\n" +
            "leaf rogue rogueca 'extendedKeyUsage=clientAuth'\n");
        for (int i = 1; i <= hostCount; i++)
        {
            script.append("leaf ").append(node(i)).append(" ca 'extendedKeyUsage=clientAuth'\n");
        }
        must(Sh.run("bash", "-c", script.toString()));
    }

    /** Starts etcd again on the same data dir. */
    public void startEtcdAgain()
    {
        startEtcd();
    }

    public String etcdLog()
    {
        final StringBuilder text = new StringBuilder();
        for (int member = 0; member < memberCount(); member++)
        {
            try
            {
                final Path log = etcdDir.resolve("etcd" + member + ".log");
                if (Files.exists(log))
                {
                    text.append("--- etcd member ").append(member).append(" ---\n").append(Files.readString(log));
                }
            }
            catch (final IOException e)
            {
                text.append(e);
            }
        }
        return text.toString();
    }

    /** Every member's data dir (what a disaster loses). */
    public List<Path> etcdDataDirs()
    {
        final List<Path> dirs = new ArrayList<>();
        for (int member = 0; member < memberCount(); member++)
        {
            dirs.add(etcdDir.resolve(member == 0 ? "data" : "data" + member));
        }
        return dirs;
    }

    private BerthHost startHost(final int index)
    {
        final List<String> args = new ArrayList<>(List.of("--uplink", Uplink.IFACE, "--uplink-ip",
            underlayIp(index) + "/24", "--store", store(), "--node", node(index), "--store-ttl",
            Integer.toString(ttlSeconds())));
        if (mode == Etcd.TLS)
        {
            args.addAll(List.of("--store-ca", pki("ca.pem"), "--store-cert", pki(node(index) + ".pem"),
                "--store-key", pki(node(index) + ".key")));
        }
        return BerthHost.start(host ->
        {
            final String ns = host.hostNs();
            must(Sh.run("ip", "-n", underlay(), "link", "add", "h" + index, "type", "veth", "peer", "name",
                Uplink.IFACE, "netns", ns));
            must(Sh.run("ip", "-n", underlay(), "link", "set", "h" + index, "master", "br0", "up"));
            must(Sh.run("ip", "-n", ns, "link", "set", Uplink.IFACE, "up"));
            must(Sh.run("ip", "-n", prefix + "-m", "link", "add", "m" + index, "type", "veth", "peer", "name",
                "mgmt0", "netns", ns));
            must(Sh.run("ip", "-n", prefix + "-m", "link", "set", "m" + index, "master", "br0", "up"));
            must(Sh.run("ip", "-n", ns, "addr", "add", "10.250.0." + (10 + index) + "/24", "dev", "mgmt0"));
            must(Sh.run("ip", "-n", ns, "link", "set", "mgmt0", "up"));
            for (int member = 0; member < memberCount(); member++)
            {
                final String ip = MEMBER_IPS.get(member);
                assertTrue(poll(Duration.ofSeconds(10), () -> BerthHost.inNs(ns, "bash", "-c",
                    "exec 3<>/dev/tcp/" + ip + "/2379").ok()), "host " + index + " cannot reach etcd at " + ip);
            }
        }, args);
    }

    /**
     * The kernel's VXLAN as a peer (once per lab; later calls find it made): {@code vx0} (VNI, UDP 4789, local 10.240.0.50, nolearning) in a bridge with a
     * container namespace whose eth0 has {@code containerCidr}; every unknown MAC goes to {@code berthHostIp}.
     */
    public void makeKernelPeer(final int vni, final String containerCidr, final String berthHostIp)
    {
        final String k = kernelPeer();
        final String c = kernelContainer();
        if (BerthHost.namespaces().contains(k))
        {
            return; // made by an earlier test of the class: one kernel peer per lab
        }
        must(Sh.run("ip", "netns", "add", k));
        must(Sh.run("ip", "netns", "add", c));
        must(Sh.run("ip", "-n", k, "link", "set", "lo", "up"));
        must(Sh.run("ip", "-n", c, "link", "set", "lo", "up"));
        // no IPv6 start-up chatter (router solicitations, MLD) from the peer's bridge and container: the frames
        // berth learns from the peer are the test's own
        for (final String ns : List.of(k, c))
        {
            must(Sh.run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1"));
        }
        must(Sh.run("ip", "-n", underlay(), "link", "add", "kp", "type", "veth", "peer", "name", "eth0", "netns", k));
        must(Sh.run("ip", "-n", underlay(), "link", "set", "kp", "master", "br0", "up"));
        must(Sh.run("ip", "-n", k, "addr", "add", KERNEL_PEER_IP + "/24", "dev", "eth0"));
        must(Sh.run("ip", "-n", k, "link", "set", "eth0", "up"));
        must(Sh.run("ip", "-n", k, "link", "add", "vx0", "type", "vxlan", "id", Integer.toString(vni), "dstport",
            "4789", "local", KERNEL_PEER_IP, "nolearning"));
        must(Sh.run("ip", "-n", k, "link", "add", "kbr0", "type", "bridge"));
        must(Sh.run("ip", "-n", k, "link", "set", "vx0", "master", "kbr0", "up"));
        must(Sh.run("ip", "-n", k, "link", "add", "kc", "type", "veth", "peer", "name", "eth0", "netns", c));
        must(Sh.run("ip", "-n", k, "link", "set", "kc", "master", "kbr0", "up"));
        must(Sh.run("ip", "-n", k, "link", "set", "kbr0", "up"));
        must(Sh.run("ip", "-n", c, "link", "set", "eth0", "mtu", "1450"));
        must(Sh.run("ip", "-n", c, "addr", "add", containerCidr, "dev", "eth0"));
        must(Sh.run("ip", "-n", c, "link", "set", "eth0", "up"));
        must(Sh.run("ip", "netns", "exec", k, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst",
            berthHostIp));
    }

    /** A namespace on the underlay that is neither a berth host nor anybody's peer: {@link #STRANGER_IP}. */
    public String makeStranger()
    {
        final String ns = prefix + "-s";
        if (BerthHost.namespaces().contains(ns))
        {
            return ns;
        }
        must(Sh.run("ip", "netns", "add", ns));
        must(Sh.run("ip", "-n", ns, "link", "set", "lo", "up"));
        must(Sh.run("ip", "-n", underlay(), "link", "add", "st", "type", "veth", "peer", "name", "eth0", "netns", ns));
        must(Sh.run("ip", "-n", underlay(), "link", "set", "st", "master", "br0", "up"));
        must(Sh.run("ip", "-n", ns, "addr", "add", STRANGER_IP + "/24", "dev", "eth0"));
        must(Sh.run("ip", "-n", ns, "link", "set", "eth0", "up"));
        return ns;
    }

    public static final String STRANGER_IP = "10.240.0.60";

    /**
     * A second kernel VXLAN device in the kernel peer (made by {@link #makeKernelPeer} first): {@code vx1}
     * on UDP {@code port}, bridged with container namespace PREFIX-kc2 at {@code containerCidr}.
     */
    public String addKernelVxlan(final int vni, final int port, final String containerCidr, final String berthHostIp)
    {
        final String k = kernelPeer();
        final String c = prefix + "-kc2";
        must(Sh.run("ip", "netns", "add", c));
        must(Sh.run("ip", "-n", c, "link", "set", "lo", "up"));
        must(Sh.run("ip", "-n", k, "link", "add", "vx1", "type", "vxlan", "id", Integer.toString(vni), "dstport",
            Integer.toString(port), "local", KERNEL_PEER_IP, "nolearning"));
        must(Sh.run("ip", "-n", k, "link", "add", "kbr1", "type", "bridge"));
        must(Sh.run("ip", "-n", k, "link", "set", "vx1", "master", "kbr1", "up"));
        must(Sh.run("ip", "-n", k, "link", "add", "kc2", "type", "veth", "peer", "name", "eth0", "netns", c));
        must(Sh.run("ip", "-n", k, "link", "set", "kc2", "master", "kbr1", "up"));
        must(Sh.run("ip", "-n", k, "link", "set", "kbr1", "up"));
        must(Sh.run("ip", "-n", c, "link", "set", "eth0", "mtu", "1450"));
        must(Sh.run("ip", "-n", c, "addr", "add", containerCidr, "dev", "eth0"));
        must(Sh.run("ip", "-n", c, "link", "set", "eth0", "up"));
        must(Sh.run("ip", "netns", "exec", k, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx1", "dst",
            berthHostIp));
        return c;
    }

    // ---------------------------------------------------------------------------------------------- cleanup

    /**
     * What each test of a lab class made goes: containers first on every running host, then networks (a global
     * network is refused while any host has some).
     */
    @Override
    public void resetAfterTest()
    {
        resetHosts();
    }

    public void resetHosts()
    {
        for (final BerthHost host : hosts)
        {
            if (host.running())
            {
                host.resetContainers();
            }
        }
        for (final BerthHost host : hosts)
        {
            if (host.running())
            {
                host.resetNetworks();
            }
        }
    }

    @Override
    public void close()
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ignored)
        {
            // shutting down: the hook is the caller
        }
        closeQuietly();
    }

    private void closeQuietly()
    {
        final boolean etcdDown = Arrays.stream(members).allMatch(Objects::isNull);
        if (etcdDown && hosts.isEmpty() && !Files.exists(etcdDir))
        {
            return;
        }
        if (etcdDown && Files.exists(etcdDir.resolve("data")))
        {
            try
            {
                startEtcd(); // the hosts remove their containers through the store
            }
            catch (final Throwable ignored)
            {
                // removed with their namespaces anyway
            }
        }
        for (final BerthHost host : hosts)
        {
            host.close();
        }
        hosts.clear();
        stopEtcd();
        for (final String ns : BerthHost.namespaces())
        {
            if (ns.startsWith(prefix))
            {
                final Result pids = Sh.run("ip", "netns", "pids", ns);
                for (final String pid : pids.out().split("\\s+"))
                {
                    if (!pid.isBlank())
                    {
                        ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(Sh::killTree);
                    }
                }
                Sh.run("ip", "netns", "del", ns);
            }
        }
        try (Stream<Path> files = Files.walk(etcdDir))
        {
            for (final Path p : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(p);
            }
        }
        catch (final IOException ignored)
        {
            // a temp dir
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    static void must(final Result r)
    {
        assertTrue(r.ok(), () -> "command failed: " + r);
    }

    public static boolean poll(final Duration timeout, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        do
        {
            if (condition.getAsBoolean())
            {
                return true;
            }
            try
            {
                Thread.sleep(100);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        while (System.nanoTime() < deadline);
        return condition.getAsBoolean();
    }
}
