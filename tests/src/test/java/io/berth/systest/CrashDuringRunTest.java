package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: berthd killed (SIGKILL) in the middle of {@code berth run}, once {@code /run/netns/NAME} exists. The
 * run was journaled as intent before it acted, so the next start takes back what it had made (the namespace with
 * its TAP), says so, and the name is free again: {@code berth run --name NAME} works.
 */
class CrashDuringRunTest extends SystemTestBase
{
    @Test
    void aRunCutShortBySigkillIsTakenBackAtTheNextStart() throws Exception
    {
        host.createNetwork("crash", "--subnet", "10.89.0.0/24");
        for (int attempt = 0; attempt < 8; attempt++)
        {
            final String name = host.name("cut" + attempt);
            host.track(name);
            final Path netns = Path.of("/run/netns", name);
            final Process run = new ProcessBuilder(host.root().resolve("bin/berth").toString(), "--socket",
                host.socket().toString(), "run", "-d", "--name", name, "--network", "crash", "--", "sleep", "300")
                .redirectErrorStream(true).start();
            final long deadline = System.nanoTime() + 20_000_000_000L;
            while (!Files.exists(netns) && run.isAlive() && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            host.killBerthd(); // as soon as the namespace exists
            run.waitFor();
            host.startBerthd();
            final boolean known = host.berth("inspect", name).ok();
            if (known)
            {
                continue; // the run had completed before the kill landed: try again
            }
            assertFalse(Files.exists(netns), "the half-made namespace " + name + " was taken back");
            assertTrue(host.logTail().contains("cut short by a crash"), host::logTail);
            host.berthOk("run", "-d", "--name", name, "--network", "crash");
            assertTrue(Files.exists(netns), "the name is free again");
            Net.assertPings(name, "10.89.0.1", host);
            return;
        }
        throw new AssertionError("berthd was never caught in the middle of a run in 8 attempts\n" + host.logTail());
    }

    /**
     * Issue 24: SIGKILL during {@code network connect} once left a TAP under its temporary name ("bt" and 8 hex
     * digits, DOWN, never renamed) in the container's namespace. The state that crash leaves is made by hand here
     * (a TAP of that name in the container's namespace and one in berthd's); the next start removes both and says
     * so, and leaves alone a device of another name and the container's own eth0.
     */
    @Test
    void aRestartRemovesTapsACrashLeftUnnamed()
    {
        host.createNetwork("stray", "--subnet", "10.88.0.0/24");
        final String c = host.run("stray1", "--network", "stray");
        assertTrue(Sh.run("ip", "-n", c, "tuntap", "add", "mode", "tap", "name", "bt0badc0de").ok());
        assertTrue(Sh.run("ip", "-n", c, "tuntap", "add", "mode", "tap", "name", "keepme0").ok());
        assertTrue(Sh.run("ip", "-n", host.hostNs(), "tuntap", "add", "mode", "tap", "name", "bt0badf00d").ok());
        host.killBerthd();
        host.startBerthd();
        assertFalse(Sh.run("ip", "-n", c, "link", "show", "bt0badc0de").ok(), "the stray TAP in the container stayed");
        assertFalse(Sh.run("ip", "-n", host.hostNs(), "link", "show", "bt0badf00d").ok(),
            "the stray TAP in berthd's namespace stayed");
        assertTrue(Sh.run("ip", "-n", c, "link", "show", "keepme0").ok(), "a device of another name was removed");
        assertTrue(host.logTail().contains("bt0badc0de"), host::logTail);
        Net.assertPings(c, "10.88.0.1", host);
    }
}
