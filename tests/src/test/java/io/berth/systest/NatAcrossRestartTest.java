package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: a masqueraded connection no longer dies on restart. Two TCP echo sessions run the whole time, one from
 * a container to the outside through SNAT, one from the outside to a published port through DNAT, each checking
 * every echoed line; berthd is restarted with SIGTERM (it saves its conntrack and NAT tables) and then killed with
 * SIGKILL (the tables saved within the last second are restored). Neither session loses a byte or breaks.
 */
class NatAcrossRestartTest extends UplinkTestBase
{
    private static final String ECHO = String.join("\n",
        "import socket, sys, threading",
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(8)",
        "def serve(c):",
        "  while True:",
        "    d = c.recv(65536)",
        "    if not d: break",
        "    c.sendall(d)",
        "while True:",
        "  c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()");

    /** argv: host, port, lines. Sends numbered lines, checks each echo, prints progress, then "done N". */
    private static final String CLIENT = String.join("\n",
        "import socket, sys, time",
        "host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])",
        "s = socket.create_connection((host, port), timeout=10); s.settimeout(90)",
        "buf = b''",
        "for i in range(n):",
        "  msg = b'%06d' % i; s.sendall(msg + b'\\n')",
        "  while b'\\n' not in buf:",
        "    d = s.recv(4096)",
        "    if not d: print('FAIL closed at', i, flush=True); sys.exit(1)",
        "    buf += d",
        "  line, buf = buf.split(b'\\n', 1)",
        "  if line != msg: print('FAIL got', line, 'want', msg, flush=True); sys.exit(1)",
        "  if i % 10 == 0: print('progress', i, flush=True)",
        "  time.sleep(0.05)",
        "print('done', n, flush=True)");

    private static final int LINES = 400;

    @Test
    void echoSessionsThroughSnatAndDnatSurviveSigtermAndSigkillRestarts() throws Exception
    {
        final BerthHost.Spawned outsideServer = host.spawn(outside, "python3", "-c", ECHO, "7100");
        final String client = host.run("snat");
        host.run("dnat", "-p", "12400:7000", "--", "python3", "-c", ECHO, "7000");
        awaitListening(outside, 7100);
        final BerthHost.Spawned throughSnat = host.spawn(client, "python3", "-c", CLIENT, Uplink.OUTSIDE_IP, "7100",
            String.valueOf(LINES));
        BerthHost.Spawned throughDnat = null;
        for (int i = 0; i < 50 && throughDnat == null; i++) // the container's server may take a moment to listen
        {
            final BerthHost.Spawned attempt = host.spawn(outside, "python3", "-c", CLIENT, Uplink.UPLINK_IP, "12400",
                String.valueOf(LINES));
            if (attempt.awaitOutput("progress 0", Duration.ofSeconds(2)))
            {
                throughDnat = attempt;
            }
            else
            {
                attempt.kill();
            }
        }
        assertTrue(throughDnat != null, "the DNAT session started");
        final BerthHost.Spawned dnat = throughDnat;
        awaitBoth(throughSnat, dnat, "progress 20");

        host.restartBerthd(); // SIGTERM: the tables are saved and restored
        awaitBoth(throughSnat, dnat, "progress 100");

        final Path saved = host.stateDir().resolve("conntrack.json");
        for (int i = 0; i < 50 && !(Files.exists(saved) && Files.readString(saved).contains("12400")
            && Files.readString(saved).contains("7100")); i++)
        {
            BerthHost.sleep(100); // the saver writes every second
        }
        assertTrue(Files.readString(saved).contains("7100"), "both sessions are in the saved tables");
        host.killBerthd(); // SIGKILL: no shutdown hook
        host.startBerthd();

        for (final BerthHost.Spawned session : new BerthHost.Spawned[] {throughSnat, dnat})
        {
            assertTrue(session.awaitOutput("done " + LINES, Duration.ofSeconds(90)),
                () -> "the session went on across both restarts, every line echoed:\n" + session.output() + "\n" +
                    host.logTail());
            assertFalse(session.output().contains("FAIL"), session::output);
        }
        outsideServer.kill();
    }

    private void awaitBoth(final BerthHost.Spawned a, final BerthHost.Spawned b, final String text)
    {
        assertTrue(a.awaitOutput(text, Duration.ofSeconds(60)), () -> "SNAT session: " + a.output() + host.logTail());
        assertTrue(b.awaitOutput(text, Duration.ofSeconds(60)), () -> "DNAT session: " + b.output() + host.logTail());
    }

    private static void awaitListening(final String ns, final int port)
    {
        for (int i = 0; i < 50; i++)
        {
            if (BerthHost.inNs(ns, "ss", "-ltn").out().contains(":" + port + " "))
            {
                return;
            }
            BerthHost.sleep(100);
        }
        throw new AssertionError("nothing listens on " + port + " in " + ns);
    }
}
