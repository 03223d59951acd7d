package io.berth.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.api.ApiServer;
import io.berth.control.api.Json;
import io.berth.control.api.RequestHandler;
import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.UserspaceDataplane;
import io.berth.control.journal.ChronicleJournal;
import io.berth.control.journal.Journal;
import io.berth.control.sandbox.HostMountNamespace;
import io.berth.control.sandbox.NetnsSandboxes;
import io.berth.control.state.ControlService;
import io.berth.control.state.Ids;
import io.berth.control.state.State;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * berthd, the per-host daemon and composition root: takes the state dir, replays the journal, starts the
 * dataplane, re-attaches every endpoint, and serves the API until SIGTERM. Its main thread only builds and then
 * waits; the control thread ("berth-control") owns the journal and the state; the shutdown hook tears down.
 */
@Command(name = "berthd", mixinStandardHelpOptions = true, version = "berthd 0.1.0",
    description = "berth's per-host daemon: owns every container port and switches their packets in userspace.")
public final class Berthd implements Callable<Integer>
{
    public static final String DEFAULT_SOCKET = "/run/berth/berthd.sock";
    public static final String DEFAULT_STATE_DIR = "/var/lib/berth";

    @Option(names = "--socket", paramLabel = "PATH",
        description = "API socket (default: $BERTH_SOCKET, else " + DEFAULT_SOCKET + ")")
    private Path socket;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "journal, logs, dataplane state (default: "
        + DEFAULT_STATE_DIR + ")")
    private Path stateDir = Path.of(DEFAULT_STATE_DIR);

    @Option(names = "--dataplane", hidden = true, description = "userspace (default) or noop (develop the " +
        "control plane without devices)")
    private String dataplaneKind = "userspace";

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new Berthd()).execute(args));
    }

    /** The socket both programs use: the option, else $BERTH_SOCKET, else the default. */
    public static Path socketPath(final Path option)
    {
        if (option != null)
        {
            return option;
        }
        final String env = System.getenv("BERTH_SOCKET");
        return Path.of(env == null || env.isEmpty() ? DEFAULT_SOCKET : env);
    }

    @Override
    public Integer call() throws Exception
    {
        final Path socketPath = socketPath(socket).toAbsolutePath();
        final Path state = stateDir.toAbsolutePath();
        try
        {
            ApiServer.checkNotInUse(socketPath);
            Files.createDirectories(state);
        }
        catch (final BerthException | IOException ex)
        {
            System.err.println("berthd: " + ex.getMessage());
            return 1;
        }
        final FileChannel lockFile = FileChannel.open(state.resolve("berthd.lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        final FileLock lock = lockFile.tryLock();
        if (lock == null)
        {
            System.err.println("berthd: state dir " + state + " is in use by another berthd; give each berthd its " +
                "own --state-dir");
            return 1;
        }

        final ExecutorService controlThread = Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "berth-control");
            thread.setDaemon(false);
            return thread;
        });
        final HostMountNamespace hostMounts = HostMountNamespace.discover();
        final Dataplane dataplane = "noop".equals(dataplaneKind) ? new NoopDataplane() :
            new UserspaceDataplane(state.resolve("dataplane"));
        final Journal[] journal = new Journal[1];
        final NetnsSandboxes sandboxes = new NetnsSandboxes(hostMounts);
        final ControlService service;
        try
        {
            dataplane.start();
            service = onControlThread(controlThread, () ->
            {
                journal[0] = new ChronicleJournal(state.resolve("journal"));
                final ControlService created = new ControlService(new State(), journal[0], dataplane,
                    sandboxes, state, new Ids(), Clock.systemUTC());
                final List<String> problems = created.restore();
                problems.forEach(problem -> System.err.println("berthd: " + problem));
                return created;
            });
        }
        catch (final RuntimeException ex)
        {
            System.err.println("berthd: cannot start: " + ex.getMessage());
            ex.printStackTrace();
            controlThread.shutdownNow();
            dataplane.close();
            return 1;
        }

        final ObjectNode info = Json.WIRE.createObjectNode();
        info.put("Pid", ProcessHandle.current().pid());
        info.put("Socket", socketPath.toString());
        info.put("StateDir", state.toString());
        final RequestHandler handler = new RequestHandler(service, sandboxes, info);
        final ApiServer api = new ApiServer(socketPath, controlThread, handler::handle);

        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            api.close();
            try
            {
                onControlThread(controlThread, () ->
                {
                    journal[0].close();
                    return null;
                });
            }
            catch (final RuntimeException ex)
            {
                System.err.println("berthd: closing the journal: " + ex.getMessage());
            }
            controlThread.shutdown();
            try
            {
                controlThread.awaitTermination(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            dataplane.close();
            hostMounts.close();
            try
            {
                lock.release();
                lockFile.close();
            }
            catch (final IOException ignored)
            {
                // the lock goes with the process anyway
            }
            System.err.println("berthd stopped");
            stopped.countDown();
        }, "berth-shutdown"));

        api.start();
        System.out.println("berthd ready on " + socketPath + " (state " + state + ", pid " +
            ProcessHandle.current().pid() + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }

    private static <T> T onControlThread(final ExecutorService controlThread, final Callable<T> task)
    {
        try
        {
            return controlThread.submit(task).get();
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw new IllegalStateException(ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }
}
