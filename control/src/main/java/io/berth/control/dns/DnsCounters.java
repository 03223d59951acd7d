package io.berth.control.dns;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The embedded DNS's counters: written by the DNS thread, read by anyone (berth counters). */
public final class DnsCounters
{
    final AtomicLong queries = new AtomicLong();
    final AtomicLong localAnswers = new AtomicLong();
    final AtomicLong forwarded = new AtomicLong();
    final AtomicLong nxdomain = new AtomicLong();
    final AtomicLong malformed = new AtomicLong();
    final AtomicLong upstreamTimeouts = new AtomicLong();
    final AtomicLong upstreamFailures = new AtomicLong();
    final AtomicLong refusedBusy = new AtomicLong();
    final AtomicLong truncated = new AtomicLong();
    final AtomicLong tcpQueries = new AtomicLong();

    /** In the order berth counters prints them. */
    public Map<String, Long> snapshot()
    {
        final Map<String, Long> m = new LinkedHashMap<>();
        m.put("queries", queries.get());
        m.put("tcp_queries", tcpQueries.get());
        m.put("local_answers", localAnswers.get());
        m.put("forwarded", forwarded.get());
        m.put("nxdomain", nxdomain.get());
        m.put("malformed", malformed.get());
        m.put("truncated", truncated.get());
        m.put("upstream_timeouts", upstreamTimeouts.get());
        m.put("upstream_failures", upstreamFailures.get());
        m.put("refused_busy", refusedBusy.get());
        return m;
    }
}
