package io.berth.conntrack;

import java.util.concurrent.TimeUnit;

/**
 * How long an idle connection lives in each state, in milliseconds. Defaults are shorter than Linux's where
 * Linux's are meant for hosts rather than a NAT box (TCP ESTABLISHED: Linux 5 days, here 2 hours; SYN_SENT:
 * Linux 120 s, here 60 s) and equal where they protect correctness (TIME_WAIT 120 s, which keeps a SNAT port
 * from being reused while the remote end may still hold the old connection).
 * <pre>
 *   TCP   SYN_SENT 60 s  SYN_RECV 60 s  ESTABLISHED 7200 s  FIN_WAIT 120 s  CLOSE_WAIT 60 s
 *         LAST_ACK 30 s  TIME_WAIT 120 s  CLOSE 10 s
 *         picked up mid-stream, until the other end is heard from: 300 s (Linux's "unacknowledged")
 *   UDP   unreplied 30 s, replied (assured) 120 s
 *   ICMP  echo 30 s
 * </pre>
 * Configured at setup (fluent setters), then read by the worker thread only.
 */
public final class Timeouts
{
    private final long[] tcpMillis = new long[ConnState.COUNT];
    private long tcpUnacknowledgedMillis;
    private long udpUnrepliedMillis;
    private long udpAssuredMillis;
    private long icmpMillis;

    public Timeouts()
    {
        tcp(ConnState.SYN_SENT, 60).tcp(ConnState.SYN_RECV, 60).tcp(ConnState.ESTABLISHED, 7200)
            .tcp(ConnState.FIN_WAIT, 120).tcp(ConnState.CLOSE_WAIT, 60).tcp(ConnState.LAST_ACK, 30)
            .tcp(ConnState.TIME_WAIT, 120).tcp(ConnState.CLOSE, 10)
            .tcpUnacknowledged(300).udp(30, 120).icmp(30);
    }

    /** Sets the timeout of a TCP state, in seconds. */
    public Timeouts tcp(final int state, final long seconds)
    {
        if (state <= ConnState.NONE || state > ConnState.CLOSE)
        {
            throw new IllegalArgumentException("not a TCP state: " + ConnState.name(state));
        }
        tcpMillis[state] = millis(seconds);
        return this;
    }

    /** Sets how long a connection picked up mid-stream lives until its other end is heard from, in seconds. */
    public Timeouts tcpUnacknowledged(final long seconds)
    {
        tcpUnacknowledgedMillis = millis(seconds);
        return this;
    }

    public long tcpUnacknowledgedMillis()
    {
        return tcpUnacknowledgedMillis;
    }

    public Timeouts udp(final long unrepliedSeconds, final long assuredSeconds)
    {
        udpUnrepliedMillis = millis(unrepliedSeconds);
        udpAssuredMillis = millis(assuredSeconds);
        return this;
    }

    public Timeouts icmp(final long seconds)
    {
        icmpMillis = millis(seconds);
        return this;
    }

    public long tcpMillis(final int state)
    {
        return tcpMillis[state];
    }

    public long udpMillis(final boolean assured)
    {
        return assured ? udpAssuredMillis : udpUnrepliedMillis;
    }

    public long icmpMillis()
    {
        return icmpMillis;
    }

    private static long millis(final long seconds)
    {
        if (seconds <= 0)
        {
            throw new IllegalArgumentException("a timeout must be at least 1 s, got " + seconds);
        }
        return TimeUnit.SECONDS.toMillis(seconds);
    }
}
