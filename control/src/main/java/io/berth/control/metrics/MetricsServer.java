package io.berth.control.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.net.InetAddress;
import java.util.function.Supplier;

/**
 * {@code berthd --metrics-addr HOST:PORT}: {@code /metrics} in the Prometheus text format (and whatever else the
 * client's exporter negotiates), with berth's counters and the JVM's. Started and closed on the control path; the
 * exporter's own threads serve scrapes.
 */
public final class MetricsServer implements AutoCloseable
{
    private final HTTPServer server;

    private MetricsServer(final HTTPServer server)
    {
        this.server = server;
    }

    /**
     * @param address  HOST:PORT as given to berthd (checked with {@link #parse}).
     * @param counters one snapshot of the counters per call, as {@code berth counters -o json} has them.
     */
    public static MetricsServer start(final String address, final Supplier<JsonNode> counters) throws IOException
    {
        final int colon = parse(address);
        final PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new CountersCollector(counters));
        JvmMetrics.builder().register(registry);
        final HTTPServer server = HTTPServer.builder()
            .inetAddress(InetAddress.getByName(address.substring(0, colon)))
            .port(Integer.parseInt(address.substring(colon + 1)))
            .registry(registry)
            .buildAndStart();
        return new MetricsServer(server);
    }

    /** The colon's index; refuses anything but IPv4:PORT with a message naming the value and what is valid. */
    public static int parse(final String address)
    {
        final int colon = address.lastIndexOf(':');
        boolean ok = colon > 0;
        if (ok)
        {
            final String host = address.substring(0, colon);
            ok = host.matches("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
            if (ok)
            {
                for (final String part : host.split("\\."))
                {
                    ok &= Integer.parseInt(part) <= 255;
                }
            }
            try
            {
                final int port = Integer.parseInt(address.substring(colon + 1));
                ok &= port >= 1 && port <= 65535;
            }
            catch (final NumberFormatException e)
            {
                ok = false;
            }
        }
        if (!ok)
        {
            throw new IllegalArgumentException("--metrics-addr " + address + " is not HOST:PORT: give an IPv4 address " +
                "of berthd's namespace and a port 1..65535, e.g. 127.0.0.1:9323");
        }
        return colon;
    }

    public int port()
    {
        return server.getPort();
    }

    @Override
    public void close()
    {
        server.close();
    }
}
