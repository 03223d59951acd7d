package io.berth.control.journal;

import io.berth.control.event.Event;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChronicleJournalTest
{
    @TempDir
    Path dir;

    @Test
    void eventsSurviveReopening()
    {
        final Event first = new Event.NetworkCreated("a".repeat(64), "net1", "bridge", "local",
            new Event.IpamConfig("default", "172.18.0.0/16", null, "172.18.0.1"), Map.of("icc", "true",
            "mtu", "1500"), false, false, Map.of(), "2024-01-01T00:00:00Z");
        final Event second = new Event.ProcessStarted("b".repeat(64), 42, 7, List.of("sleep", "1"), "/x.log");
        try (ChronicleJournal journal = new ChronicleJournal(dir))
        {
            journal.append(first);
            journal.append(second);
        }
        final List<Event> replayed = new ArrayList<>();
        try (ChronicleJournal journal = new ChronicleJournal(dir))
        {
            journal.replay(replayed::add);
            journal.append(first);
        }
        assertEquals(List.of(first, second), replayed);
        final List<Event> again = new ArrayList<>();
        try (ChronicleJournal journal = new ChronicleJournal(dir))
        {
            journal.replay(again::add);
        }
        assertEquals(List.of(first, second, first), again);
    }
}
