package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.client.SocketPath;
import io.berth.control.api.ApiClient;
import io.berth.control.capture.PcapngWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.time.Instant;

/**
 * {@code berth capture}: packets at a graph stage, as pcapng ({@code -w FILE}, or {@code -w -} for a pipe into
 * tcpdump -r -) or one summary line each. Ctrl-C ends it cleanly: every packet written so far is in the file,
 * and berthd disarms the capture when the connection goes.
 */
@Command(name = "capture", description = "Capture packets at a stage of berth's graph: pcapng for tcpdump and " +
    "Wireshark, or a line per packet.")
final class CaptureCommand implements Callable<Integer>
{
    @ParentCommand
    BerthCli root;

    @Option(names = "--port", paramLabel = "NAME", description = "a port by the name berth counters shows")
    String port;

    @Option(names = "--uplink", description = "the uplink")
    boolean uplink;

    @Option(names = "--network", paramLabel = "NET", description = "every port of this host's containers on NET")
    String network;

    @Option(names = "--stage", paramLabel = "STAGE", description = "rx (default: as received), pre-nat, post-nat, " +
        "tx, or any graph node by name; repeatable: each stage is its own pcapng interface")
    List<String> stages = new ArrayList<>();

    @Option(names = "-c", paramLabel = "COUNT", description = "stop after COUNT packets")
    long count;

    @Option(names = "--snaplen", paramLabel = "N", description = "bytes kept of each packet (default: ${DEFAULT-VALUE})")
    int snaplen = 262144;

    @Option(names = "-w", paramLabel = "FILE", description = "write pcapng to FILE, or - for stdout")
    String file;

    @Parameters(paramLabel = "[CONTAINER[:IFACE]] [FILTER]", arity = "0..*", description = "the container (when no " +
        "--port, --uplink or --network), then a filter: host IP, net CIDR, port N, tcp, udp, icmp, arp, and/or/not")
    List<String> words = new ArrayList<>();

    @Override
    public Integer call() throws IOException
    {
        final ObjectNode request = BerthCli.request("capture");
        final List<String> filter = new ArrayList<>(words);
        if (port == null && !uplink && network == null && !filter.isEmpty())
        {
            request.put("container", filter.remove(0));
        }
        NetworkCommands.putIfSet(request, "port", port);
        NetworkCommands.putIfSet(request, "network", network);
        request.put("uplink", uplink).put("count", count).put("snaplen", snaplen).put("binary", true);
        (stages.isEmpty() ? List.of("rx") : stages).forEach(request.putArray("stages")::add);
        filter.forEach(request.putArray("filter")::add);
        final PrintStream stdout = System.out;
        final OutputStream sink = file == null ? null : file.equals("-") ? stdout : new FileOutputStream(file);
        final PcapngWriter pcap = sink == null ? null : new PcapngWriter(sink, snaplen);
        final PrintStream lines = file != null && file.equals("-") ? System.err : stdout;
        final AtomicLong seen = new AtomicLong();
        final AtomicLong lost = new AtomicLong();
        final AtomicBoolean reported = new AtomicBoolean();
        // Ctrl-C (or TERM) ends the JVM in the middle of the stream: say what was captured and lost, as tcpdump does
        final Thread onInterrupt = new Thread(() ->
        {
            if (!reported.getAndSet(true))
            {
                report(lines, seen.get(), lost.get());
            }
        });
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try (ApiClient client = ApiClient.connect(SocketPath.of(root.socket)))
        {
            client.streamWithPayloads(request, (line, payload) ->
            {
                if (line.has("lost"))
                {
                    lost.set(line.path("lost").asLong());
                }
                if (line.has("end"))
                {
                    if (!reported.getAndSet(true))
                    {
                        report(lines, seen.get(), lost.get());
                    }
                    return false;
                }
                if (line.has("keepalive"))
                {
                    return true;
                }
                final byte[] data = payload != null ? payload : Base64.getDecoder().decode(line.path("data").asText());
                seen.incrementAndGet();
                try
                {
                    if (pcap != null)
                    {
                        pcap.packet(line.path("stage").asText(), line.path("time").asLong(), line.path("length").asInt(),
                            data, "stage=" + line.path("stage").asText() + " in=" + line.path("in").asText()
                                + " out=" + line.path("out").asText());
                    }
                    else
                    {
                        lines.println(summary(line, data));
                        lines.flush();
                    }
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex); // the pipe's reader went away
                }
                return true;
            });
        }
        catch (final UncheckedIOException gone)
        {
            return 0;
        }
        finally
        {
            reported.set(true); // ended by itself: no report at exit
            if (pcap != null && sink != stdout)
            {
                pcap.close();
            }
        }
        return 0;
    }

    private static void report(final PrintStream lines, final long packets, final long lost)
    {
        lines.println(packets + " packets captured" + (lost > 0 ? ", " + lost + " lost (capture ring or queue full)" : ""));
        lines.flush();
    }

    /** One line a packet: time, stage, ports, and what tcpdump's first words would say. */
    static String summary(final JsonNode line, final byte[] f)
    {
        final StringBuilder b = new StringBuilder();
        final long nanos = line.path("time").asLong();
        b.append(Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L)).append(' ')
            .append(line.path("stage").asText()).append(' ').append(line.path("in").asText()).append(" -> ")
            .append(line.path("out").asText().isEmpty() ? "?" : line.path("out").asText()).append(' ');
        final int type = f.length >= 14 ? ((f[12] & 0xFF) << 8) | (f[13] & 0xFF) : -1;
        if (type == 0x0800 && f.length >= 34)
        {
            final int proto = f[23] & 0xFF;
            b.append("IP ").append(ip(f, 26)).append(" > ").append(ip(f, 30)).append(' ')
                .append(proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 1 ? "icmp" : "proto " + proto);
            final int l4 = 14 + (f[14] & 0x0F) * 4;
            if ((proto == 6 || proto == 17) && f.length >= l4 + 4)
            {
                b.append(' ').append(((f[l4] & 0xFF) << 8) | (f[l4 + 1] & 0xFF)).append(" > ")
                    .append(((f[l4 + 2] & 0xFF) << 8) | (f[l4 + 3] & 0xFF));
            }
        }
        else if (type == 0x0806)
        {
            b.append("ARP");
        }
        else
        {
            b.append("ethertype 0x").append(Integer.toHexString(type));
        }
        return b.append(", length ").append(line.path("length").asInt()).toString();
    }

    private static String ip(final byte[] f, final int at)
    {
        return (f[at] & 0xFF) + "." + (f[at + 1] & 0xFF) + "." + (f[at + 2] & 0xFF) + "." + (f[at + 3] & 0xFF);
    }
}
