package io.berth.control.dataplane;

import io.berth.conntrack.ConnState;
import io.berth.conntrack.Timeouts;

import java.util.LinkedHashMap;
import java.util.Map;
import io.berth.dataplane.DataplaneWorker;
import io.berth.l2.L2Switch;
import io.berth.l3.NeighborTable;

/**
 * berthd's tunables for the packet path, parsed and checked before anything starts.
 *
 * @param conntrackMax     connections tracked at most; new ones beyond are refused and counted.
 * @param timeouts         conntrack timeouts per protocol and state.
 * @param spinMicros       how long the worker polls on after traffic before it blocks.
 * @param neighborMax      neighbours ARP on routed ports may teach at most (the uplink's LAN hosts).
 * @param fragMax          routed datagrams in reassembly at most (a quarter of them per source address).
 * @param overlay          vxlan-decap is in the graph.
 * @param macAgeSeconds    how long a learned MAC stays without a frame from it (the kernel bridge's ageing_time).
 */
public record DataplaneOptions(int conntrackMax, Timeouts timeouts, long spinMicros, int neighborMax, int fragMax,
    boolean overlay, int macAgeSeconds)
{
    public static final int DEFAULT_MAC_AGE_SECONDS = L2Switch.DEFAULT_MAC_AGE_SECONDS;
    public static final int MAX_MAC_AGE_SECONDS = 1_000_000;

    public DataplaneOptions(final int conntrackMax, final Timeouts timeouts, final long spinMicros, final int neighborMax,
        final int fragMax, final boolean overlay)
    {
        this(conntrackMax, timeouts, spinMicros, neighborMax, fragMax, overlay, DEFAULT_MAC_AGE_SECONDS);
    }

    public static final int DEFAULT_NEIGHBOR_MAX = NeighborTable.DEFAULT_LIMIT;
    public static final int DEFAULT_FRAG_MAX = 64;

    public DataplaneOptions(final int conntrackMax, final Timeouts timeouts, final long spinMicros)
    {
        this(conntrackMax, timeouts, spinMicros, DEFAULT_NEIGHBOR_MAX, DEFAULT_FRAG_MAX, false);
    }

    public DataplaneOptions(final int conntrackMax, final Timeouts timeouts, final long spinMicros, final int neighborMax)
    {
        this(conntrackMax, timeouts, spinMicros, neighborMax, DEFAULT_FRAG_MAX, false);
    }

    /**
     * The same with vxlan-decap in the graph (berthd has a store and an uplink, so it may get overlay networks).
     * Without, the node is left out: it costs every container frame a stage (~10 % of in-memory L2 forwarding).
     */
    public DataplaneOptions withOverlay(final boolean enabled)
    {
        return new DataplaneOptions(conntrackMax, timeouts, spinMicros, neighborMax, fragMax, enabled, macAgeSeconds);
    }

    /** The same with another reassembly bound; checked against the packet pool when the path is built. */
    public DataplaneOptions withFragMax(final int datagrams)
    {
        final int most = UserspaceDataplane.POOL_PACKETS / 2;
        if (datagrams < 1 || datagrams > most)
        {
            throw new IllegalArgumentException("--frag-max " + datagrams + " is out of range: give 1.." + most
                + " datagrams (each holds a packet; at most half the pool of " + UserspaceDataplane.POOL_PACKETS + ")");
        }
        return new DataplaneOptions(conntrackMax, timeouts, spinMicros, neighborMax, datagrams, overlay, macAgeSeconds);
    }

    /** The same with another MAC ageing time. */
    public DataplaneOptions withMacAge(final int seconds)
    {
        if (seconds < 1 || seconds > MAX_MAC_AGE_SECONDS)
        {
            throw new IllegalArgumentException("--mac-age " + seconds + " is out of range: give 1.." + MAX_MAC_AGE_SECONDS
                + " seconds");
        }
        return new DataplaneOptions(conntrackMax, timeouts, spinMicros, neighborMax, fragMax, overlay, seconds);
    }

    /** Of {@link #fragMax}, from one source address at most. */
    public int fragMaxPerSource()
    {
        return Math.max(1, fragMax / 4);
    }

    public static final int DEFAULT_CONNTRACK_MAX = 262_144;
    /** Adaptive ({@link io.berth.dataplane.DataplaneWorker#ADAPTIVE_SPIN}): {@code --spin-us auto}. */
    public static final long DEFAULT_SPIN_MICROS = DataplaneWorker.ADAPTIVE_SPIN;

    /** Timeout names as Linux's nf_conntrack_*_timeout* sysctls, minus the prefix. */
    private static final Map<String, String> NAMES = new LinkedHashMap<>();

    static
    {
        NAMES.put("tcp_syn_sent", "TCP SYN_SENT");
        NAMES.put("tcp_syn_recv", "TCP SYN_RECV");
        NAMES.put("tcp_established", "TCP ESTABLISHED");
        NAMES.put("tcp_fin_wait", "TCP FIN_WAIT");
        NAMES.put("tcp_close_wait", "TCP CLOSE_WAIT");
        NAMES.put("tcp_last_ack", "TCP LAST_ACK");
        NAMES.put("tcp_time_wait", "TCP TIME_WAIT");
        NAMES.put("tcp_close", "TCP CLOSE");
        NAMES.put("tcp_unacknowledged", "TCP picked up mid-stream, other end not heard yet");
        NAMES.put("udp", "UDP, no reply seen");
        NAMES.put("udp_stream", "UDP, replied (assured)");
        NAMES.put("icmp", "ICMP echo");
    }

    public static DataplaneOptions defaults()
    {
        return new DataplaneOptions(DEFAULT_CONNTRACK_MAX, new Timeouts(), DEFAULT_SPIN_MICROS);
    }

    /**
     * @param timeoutSettings NAME=SECONDS entries (e.g. {@code udp=10}).
     * @throws IllegalArgumentException naming the offending value and what is valid.
     */
    /** {@code --spin-us}: auto (adaptive, the default) or MICROS; throws naming the value and what is valid. */
    public static long parseSpin(final String text)
    {
        if (text == null || text.equals("auto"))
        {
            return DEFAULT_SPIN_MICROS;
        }
        try
        {
            final long micros = Long.parseLong(text);
            if (micros >= 0 && micros <= 1_000_000)
            {
                return micros;
            }
        }
        catch (final NumberFormatException ignored)
        {
            // said below
        }
        throw new IllegalArgumentException("--spin-us " + text + " is not valid: give auto (adapt to the traffic) " +
            "or microseconds, 0..1000000");
    }

    public static DataplaneOptions parse(final int conntrackMax, final Iterable<String> timeoutSettings, final long spinMicros)
    {
        if (conntrackMax < 1 || conntrackMax > (1 << 24))
        {
            throw new IllegalArgumentException("--conntrack-max " + conntrackMax + " is out of range: give 1.." + (1 << 24));
        }
        if ((spinMicros < 0 && spinMicros != DEFAULT_SPIN_MICROS) || spinMicros > 1_000_000)
        {
            throw new IllegalArgumentException("--spin-us " + spinMicros + " is out of range: give auto or " +
                "0..1000000");
        }
        final Timeouts timeouts = new Timeouts();
        for (final String setting : timeoutSettings)
        {
            final int eq = setting.indexOf('=');
            final String name = eq < 0 ? setting : setting.substring(0, eq);
            if (!NAMES.containsKey(name))
            {
                throw new IllegalArgumentException("unknown conntrack timeout '" + name + "' in '" + setting
                    + "': valid names are " + String.join(", ", NAMES.keySet()));
            }
            final long seconds;
            try
            {
                seconds = Long.parseLong(setting.substring(eq + 1));
            }
            catch (final NumberFormatException | StringIndexOutOfBoundsException e)
            {
                throw new IllegalArgumentException("conntrack timeout '" + setting + "': expected NAME=SECONDS, e.g. udp=30");
            }
            if (eq < 0 || seconds < 1 || seconds > 864_000)
            {
                throw new IllegalArgumentException("conntrack timeout '" + setting + "': seconds must be 1..864000");
            }
            apply(timeouts, name, seconds);
        }
        return new DataplaneOptions(conntrackMax, timeouts, spinMicros);
    }

    private static void apply(final Timeouts t, final String name, final long seconds)
    {
        switch (name)
        {
            case "tcp_syn_sent" -> t.tcp(ConnState.SYN_SENT, seconds);
            case "tcp_syn_recv" -> t.tcp(ConnState.SYN_RECV, seconds);
            case "tcp_established" -> t.tcp(ConnState.ESTABLISHED, seconds);
            case "tcp_fin_wait" -> t.tcp(ConnState.FIN_WAIT, seconds);
            case "tcp_close_wait" -> t.tcp(ConnState.CLOSE_WAIT, seconds);
            case "tcp_last_ack" -> t.tcp(ConnState.LAST_ACK, seconds);
            case "tcp_time_wait" -> t.tcp(ConnState.TIME_WAIT, seconds);
            case "tcp_close" -> t.tcp(ConnState.CLOSE, seconds);
            case "tcp_unacknowledged" -> t.tcpUnacknowledged(seconds);
            case "udp" -> t.udp(seconds, t.udpMillis(true) / 1000);
            case "udp_stream" -> t.udp(t.udpMillis(false) / 1000, seconds);
            case "icmp" -> t.icmp(seconds);
            default -> throw new IllegalArgumentException(name);
        }
    }

    /** {@code --workers N} at most: a port worker is a thread, and a host has a few dozen cores at most. */
    public static final int MAX_WORKERS = 64;

    /** {@code --workers}: 1 to {@link #MAX_WORKERS}; throws naming the value and what is valid. */
    public static int checkWorkers(final int workers)
    {
        if (workers < 1 || workers > MAX_WORKERS)
        {
            throw new IllegalArgumentException("--workers " + workers + " is out of range: give 1 to " + MAX_WORKERS +
                " (1, the default, runs the whole dataplane on one thread; this host has " +
                Runtime.getRuntime().availableProcessors() + " CPUs)");
        }
        return workers;
    }
}
