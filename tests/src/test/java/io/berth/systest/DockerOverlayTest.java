package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One network across Docker hosts without swarm: a Docker network on host 1 attached ({@code -o
 * berth.network=NAME}) to a berth overlay on etcd, whose other end is a berth sandbox on host 2. Host 1's berthd
 * serves the Docker plugin to a dockerd of the test's own in its namespace. Test thread.
 */
class DockerOverlayTest extends OverlayLabTestBase
{
    private final String driver = String.format("bt%08x", ThreadLocalRandom.current().nextInt());
    private final Path pluginSocket = Path.of("/run/docker/plugins", driver + ".sock");
    private Dockerd dockerd;

    @Override
    protected OverlayLab startLab()
    {
        final OverlayLab started = OverlayLab.start(2);
        try
        {
            dockerd = Dockerd.prepare(List.of());
            final BerthHost first = started.host(1);
            first.stopBerthd();
            first.startBerthd(List.of("--docker-plugin-socket", pluginSocket.toString(), "--docker-host",
                "unix://" + dockerd.socket()));
            dockerd.startIn(first.hostNs());
            return started;
        }
        catch (final RuntimeException | Error ex)
        {
            beforeClose();
            started.close();
            throw ex;
        }
    }

    @Override
    protected void beforeClose()
    {
        try
        {
            if (dockerd != null)
            {
                dockerd.close();
            }
        }
        finally
        {
            try
            {
                Files.deleteIfExists(pluginSocket);
            }
            catch (final IOException ignored)
            {
                // best effort; the name is unique
            }
        }
    }

    @Test
    void aDockerContainerOnOneHostAndABerthSandboxOnAnotherShareAnOverlay()
    {
        final BerthHost first = lab.host(1);
        final BerthHost second = lab.host(2);
        first.createNetwork("ov", "--driver", "overlay", "--subnet", "10.89.0.0/24");
        assertTrue(OverlayLab.poll(SEEN, () -> second.berth("network", "inspect", "ov").ok()), "host 2 sees it");
        final String sandbox = second.run("s2", "--network", "ov", "--", "sleep", "600");
        final String sandboxIp = ipOf(second, sandbox, "ov");
        dockerd.dockerOk("network", "create", "-d", driver, "--ipam-driver", driver, "-o", "berth.network=ov", "dov");
        try
        {
            dockerd.dockerOk("run", "-d", "--name", "d1", "--network", "dov", Dockerd.IMAGE, "sleep", "600");
            final String dockerIp = dockerd.dockerOk("inspect", "-f",
                "{{(index .NetworkSettings.Networks \"dov\").IPAddress}}", "d1").out().trim();
            assertTrue(dockerIp.startsWith("10.89.0.") && !dockerIp.equals(sandboxIp), dockerIp);
            assertTrue(OverlayLab.poll(SEEN, () -> dockerd.docker("exec", "d1", "ping", "-c", "1", "-W", "1",
                sandboxIp).ok()), "the Docker container on host 1 reaches the sandbox on host 2");
            assertTrue(OverlayLab.poll(SEEN, () -> second.berth("exec", sandbox, "ping", "-c", "1", "-W", "1",
                dockerIp).ok()), "and back");
            // the address is the overlay's, claimed in the store: host 2 cannot take it
            final Result taken = second.berth("run", "--name", second.name("s3"), "--network", "ov", "--ip",
                dockerIp, "--", "sleep", "1");
            assertTrue(!taken.ok() && taken.err().contains(dockerIp), taken::toString);
        }
        finally
        {
            dockerd.docker("rm", "-f", "d1");
            dockerd.docker("network", "rm", "dov");
        }
        assertTrue(!first.berthOk("ps").out().contains("docker-"), "docker rm took its endpoint away");
    }
}
