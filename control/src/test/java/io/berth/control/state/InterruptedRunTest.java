package io.berth.control.state;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: a {@code berth run} cut short by a crash (berthd killed once the namespace existed) is journaled as
 * intent before it acts, and taken back at the next start: the namespace and a TAP left in berthd's namespace
 * go, the start reports it, and the name is free again.
 */
class InterruptedRunTest
{
    @TempDir
    Path stateDir;

    @Test
    void aRunCutShortByACrashIsTakenBackAtTheNextStart() throws Exception
    {
        final MemoryJournal journal = new MemoryJournal();
        final FakeSandboxes sandboxes = new FakeSandboxes();
        final FakeDataplane dataplane = new FakeDataplane();
        final ControlService first = new ControlService(new State(), journal, dataplane, sandboxes, stateDir,
            new Ids(), Clock.systemUTC());
        first.restore();
        // what berthd had done when it was killed: the intent journaled, the namespace made, nothing else
        journal.append(new Event.ContainerIntent("f".repeat(64), "web", "web", "btdeadbeef", "2026-12-01T00:00:00Z"));
        sandboxes.create("web");

        final FakeDataplane secondDataplane = new FakeDataplane();
        final ControlService second = new ControlService(new State(), journal, secondDataplane, sandboxes, stateDir,
            new Ids(), Clock.systemUTC());
        final List<String> problems = second.restore();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("web") && problems.get(0).contains("crash"), problems.toString());
        assertFalse(sandboxes.exists("web"), "the half-made namespace is gone");
        assertTrue(secondDataplane.calls.contains("remove leftover btdeadbeef"), secondDataplane.calls.toString());
        assertTrue(second.state().pendingRuns().isEmpty());

        // the name is free: a new run of it works, and a third start finds nothing to take back
        second.containers().run("web", null, null, List.of());
        assertEquals("web", second.state().container("web").name());
        final ControlService third = new ControlService(new State(), journal, new FakeDataplane(), sandboxes,
            stateDir, new Ids(), Clock.systemUTC());
        assertEquals(List.of(), third.restore());
        assertTrue(sandboxes.exists("web"));
    }

    @Test
    void aRunThatFailsIsClosedInTheJournalToo()
    {
        final MemoryJournal journal = new MemoryJournal();
        final FakeSandboxes sandboxes = new FakeSandboxes();
        final FakeDataplane dataplane = new FakeDataplane();
        final ControlService service = new ControlService(new State(), journal, dataplane, sandboxes, stateDir,
            new Ids(), Clock.systemUTC());
        service.restore();
        dataplane.failNextAttach = true;
        Assertions.assertThrows(BerthException.class,
            () -> service.containers().run("db", null, null, List.of()));
        assertTrue(service.state().pendingRuns().isEmpty(), "intent and abandonment both journaled");
        assertFalse(sandboxes.exists("db"));
        final ControlService again = new ControlService(new State(), journal, new FakeDataplane(), sandboxes,
            stateDir, new Ids(), Clock.systemUTC());
        assertEquals(List.of(), again.restore(), "nothing to take back");
    }
}
