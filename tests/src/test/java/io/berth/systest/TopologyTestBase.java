package io.berth.systest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The one fixture of every system test class: a topology (a berthd host, a host with an uplink or a LAN, a lab of
 * hosts on etcd) started once per class (a JVM daemon per test would blow the suite's time budget), what each
 * test made removed after it, so tests of a class do not see each other's state, and everything closed after the
 * last, also when one failed. Test thread.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TopologyTestBase<T extends TopologyTestBase.Topology>
{
    /** What a class runs on: reset after each test, closed after the last. */
    interface Topology extends AutoCloseable
    {
        /** Removes what the test made (containers, networks, background processes); the topology stays. */
        void resetAfterTest();

        @Override
        void close();
    }

    private T topology;

    /** Starts this class's topology (and keeps it in the subclass's own field). */
    protected abstract T startTopology();

    @BeforeAll
    final void startOnce()
    {
        topology = startTopology();
    }

    /** A class that must put something back first overrides this, annotated with {@code @AfterEach}. */
    @AfterEach
    void resetAfterTest()
    {
        if (topology != null)
        {
            topology.resetAfterTest();
        }
    }

    @AfterAll
    final void closeOnce()
    {
        try
        {
            beforeClose();
        }
        finally
        {
            if (topology != null)
            {
                topology.close();
            }
        }
    }

    /** What a class started beside its topology and stops before it closes (a DNS upstream, say). */
    protected void beforeClose()
    {
    }
}
