package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * berthd --io-uring: the transmit stage's writes to TAPs and to the uplink's packet socket go through one
 * io_uring per pass. Ping (ARP floods first), TCP, bulk TSO frames between containers and bulk TCP through SNAT
 * to the outside namespace must all work as without it, with no write counted failed.
 */
class IoUringWritesTest extends UplinkTestBase
{
    @Override
    protected List<String> moreBerthdArgs()
    {
        return List.of("--io-uring");
    }

    private String ipOf(final String container)
    {
        final JsonNode networks = host.inspect(container).path("NetworkSettings").path("Networks");
        return networks.elements().next().path("IPAddress").asText();
    }

    /** tx_packets and tx_errors summed over every port. */
    private long[] transmitTotals()
    {
        long packets = 0;
        long errors = 0;
        for (final Iterator<Map.Entry<String, JsonNode>> it = host.json("counters", "-o", "json").path("ports").fields(); it.hasNext(); )
        {
            final JsonNode port = it.next().getValue();
            packets += port.path("tx_packets").asLong();
            errors += port.path("tx_errors").asLong();
        }
        return new long[] {packets, errors};
    }

    @Test
    void containersPingTalkTcpAndMoveBulkTsoFramesWithBatchedWrites()
    {
        final long[] before = transmitTotals();
        final String a = host.run("a");
        final String b = host.run("b");
        final String ipB = ipOf(b);
        final Result ping = inNs(a, "ping", "-c", "5", "-i", "0.2", "-W", "2", ipB);
        assertTrue(ping.ok() && ping.out().contains(" 0% packet loss"), ping.toString());
        Net.assertTcpEcho(host, b, a, ipB, 7401);
        // 64 KiB TSO frames from a's TAP, written whole into b's: a lost or cut one stalls TCP far below this
        Net.assertBulkTcp(host, b, null, a, ipB, 5201, 2, 50e6);
        final long[] after = transmitTotals();
        assertTrue(after[0] - before[0] > 1000, "frames went out through the batch: " + (after[0] - before[0]));
        assertEquals(before[1], after[1], "no batched write failed");
    }

    @Test
    void bulkTcpThroughSnatLeavesThroughTheUplinkSocket()
    {
        final String c = host.run("c");
        Net.assertBulkTcp(host, outside, Uplink.OUTSIDE_IP, c, Uplink.OUTSIDE_IP, 5202, 2, 10e6);
    }
}
