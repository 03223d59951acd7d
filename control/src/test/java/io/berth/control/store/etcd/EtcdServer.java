package io.berth.control.store.etcd;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.net.Socket;

/**
 * A real etcd (Debian's etcd-server) for tests: one member on loopback ports of its own, a data dir in /tmp;
 * stopped and restarted on the same data dir, removed with everything it wrote by {@link #close}. Where etcd is
 * not installed the test is skipped, but under CI ({@code CI=true}) that fails instead.
 */
final class EtcdServer implements AutoCloseable
{
    private final Path dataDir;
    private final int clientPort;
    private final int peerPort;
    private final Path log;
    private Process process;

    private EtcdServer() throws IOException
    {
        dataDir = Files.createTempDirectory("berth-etcd-test");
        log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        // both taken while both are held: two ServerSockets opened one after the other can get the same port
        try (ServerSocket client = new ServerSocket(0); ServerSocket peer = new ServerSocket(0))
        {
            clientPort = client.getLocalPort();
            peerPort = peer.getLocalPort();
        }
    }

    static EtcdServer start() throws Exception
    {
        final boolean present = Files.isExecutable(Path.of("/usr/bin/etcd"));
        if (!present && "true".equals(System.getenv("CI")))
        {
            throw new AssertionError("etcd is not installed (etcd-server): .ci/install-tools installs it");
        }
        Assumptions.assumeTrue(present, "etcd not installed");
        final EtcdServer server = new EtcdServer();
        server.startAgain();
        return server;
    }

    String url()
    {
        return "http://127.0.0.1:" + clientPort;
    }

    /** (Re)starts the member on its data dir and waits until it answers. */
    void startAgain() throws Exception
    {
        final String peer = "http://127.0.0.1:" + peerPort;
        process = new ProcessBuilder("/usr/bin/etcd", "--name", "t", "--data-dir", dataDir.toString(),
            "--listen-client-urls", url(), "--advertise-client-urls", url(),
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "t=" + peer,
            "--logger", "zap", "--log-outputs", "stderr")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline)
        {
            try (Socket ignored = new Socket("127.0.0.1", clientPort))
            {
                return;
            }
            catch (final IOException notYet)
            {
                if (!process.isAlive())
                {
                    throw new AssertionError("etcd exited: " + Files.readString(log));
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError("etcd did not listen on " + url() + ": " + Files.readString(log));
    }

    void stop() throws InterruptedException
    {
        if (process != null)
        {
            process.destroy();
            process.waitFor();
            process = null;
        }
    }

    @Override
    public void close() throws Exception
    {
        stop();
        try (Stream<Path> files = Files.walk(dataDir))
        {
            for (final Path p : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(log);
    }

    List<String> endpoints()
    {
        return List.of(url());
    }
}
