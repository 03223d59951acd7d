package io.berth.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.state.ControlService;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Learns the Docker names of the containers behind Docker endpoints, which no plugin call carries: a while after a
 * Join (outside the call: dockerd waits for the plugin then, and a call back would deadlock), and once at start,
 * it reads {@code GET /networks/ID} from dockerd's API and hands {endpoint id: name} to the control thread,
 * which keeps them for views ({@code berth network inspect}). Until known, a container shows berth's name. Runs
 * on its own thread; a dockerd that does not answer costs nothing but the names.
 */
public final class DockerNames implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.docker");
    /** After a Join, Docker lists the endpoint once the container has started: tried at these delays. */
    private static final long[] ATTEMPTS_MS = {500, 1500, 4000, 10000};

    private final DockerApi api;
    private final ControlService service;
    private final ExecutorService controlThread;
    private final ScheduledExecutorService thread;

    public DockerNames(final String dockerHost, final ControlService service, final ExecutorService controlThread)
    {
        this.api = new DockerApi(DockerApi.socketOf(dockerHost));
        this.service = service;
        this.controlThread = controlThread;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable ->
        {
            final Thread t = new Thread(runnable, "berth-docker-names");
            t.setDaemon(true);
            return t;
        });
    }

    /** Checks {@code --docker-host} without connecting. */
    public static void check(final String dockerHost)
    {
        DockerApi.socketOf(dockerHost);
    }

    /** Learns the names on Docker network {@code dockerNetworkId} at the next attempts. Any thread. */
    void learnSoon(final String dockerNetworkId)
    {
        for (final long delay : ATTEMPTS_MS)
        {
            try
            {
                thread.schedule(() -> learn(dockerNetworkId), delay, TimeUnit.MILLISECONDS);
            }
            catch (final RejectedExecutionException ex)
            {
                return; // closing
            }
        }
    }

    /** Learns the names on every Docker network berth holds (after a restart). Control thread. */
    public void learnAll()
    {
        service.state().docker().networks().forEach(network -> learnSoon(network.dockerId()));
    }

    private void learn(final String dockerNetworkId)
    {
        final JsonNode network;
        try
        {
            network = api.get("/networks/" + dockerNetworkId);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.DEBUG, "cannot read Docker network " + dockerNetworkId + " from " +
                api.socket() + ": " + ex.getMessage());
            return;
        }
        final Map<String, String> names = new LinkedHashMap<>();
        network.path("Containers").forEach(container ->
        {
            final String endpoint = container.path("EndpointID").asText("");
            final String name = container.path("Name").asText("");
            if (!endpoint.isEmpty() && !name.isEmpty())
            {
                names.put(endpoint, name);
            }
        });
        if (!names.isEmpty())
        {
            try
            {
                controlThread.execute(() -> names.forEach(service.state().docker()::named));
            }
            catch (final RejectedExecutionException ex)
            {
                // stopping
            }
        }
    }

    @Override
    public void close()
    {
        thread.shutdownNow();
    }
}
