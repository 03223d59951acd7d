package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Bulk TCP with iperf3 through SNAT (container to outside) and DNAT (outside to a published port): completes, moves data. */
class NatIperfTest extends UplinkTestBase
{
    @Test
    void iperfThroughSnat()
    {
        final BerthHost.Spawned server = host.spawn(outside, "iperf3", "-s", "-1", "-B", Uplink.OUTSIDE_IP, "-p", "5201");
        final String c = host.run("c");
        Result r = null;
        for (int i = 0; i < 20; i++)
        {
            r = iperf(c, Uplink.OUTSIDE_IP, 5201);
            if (Net.iperfOk(r) || r.exit() == -1 || !server.alive())
            {
                break;
            }
            BerthHost.sleep(300); // the server may not listen yet (iperf 3.12 -J then exits 0 with an "error")
        }
        assertMoved(r, server);
    }

    @Test
    void iperfThroughDnat()
    {
        host.run("srv", "-p", "15201:5201", "--", "iperf3", "-s", "-p", "5201");
        Result r = null;
        for (int i = 0; i < 20; i++)
        {
            // the server may not listen yet: iperf3 fails at once then
            r = iperf(outside, Uplink.UPLINK_IP, 15201);
            if (Net.iperfOk(r) || r.exit() == -1)
            {
                break;
            }
            BerthHost.sleep(300);
        }
        assertMoved(r, null);
    }

    private static Result iperf(String ns, String ip, int port)
    {
        return inNs(Duration.ofSeconds(30), ns, "iperf3", "-c", ip, "-p", String.valueOf(port), "-t", "3", "-J",
            "--connect-timeout", "3000");
    }

    private void assertMoved(Result r, BerthHost.Spawned server)
    {
        final String diag = r + "\n" + (server == null ? "" : "server: " + server + "\n") + NatTools.diag(host);
        if (!r.ok())
        {
            fail("iperf3 did not complete\n" + diag);
        }
        final JsonNode j;
        try
        {
            j = BerthHost.JSON.readTree(r.out());
        }
        catch (IOException e)
        {
            throw new AssertionError("iperf3 -J gave no JSON\n" + diag, e);
        }
        final double sent = j.path("end").path("sum_sent").path("bytes").asDouble();
        final double received = j.path("end").path("sum_received").path("bytes").asDouble();
        final double bps = j.path("end").path("sum_received").path("bits_per_second").asDouble();
        System.out.printf("iperf3 %s: %.0f Mbit/s received, %.0f bytes%n", r.command(), bps / 1e6, received);
        assertTrue(sent > 0 && received > 0 && bps > 0, () -> "no data moved\n" + diag);
    }
}
