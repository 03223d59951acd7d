package io.berth.systest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * One berthd per test class (starting a JVM daemon per test would blow the suite's time budget); after each
 * test the containers and networks it made are removed, so tests of a class do not see each other's state.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SystemTestBase
{
    protected BerthHost host;

    @BeforeAll
    void startHost()
    {
        host = BerthHost.start();
    }

    @AfterEach
    void resetHost()
    {
        if (host != null && host.running())
        {
            host.reset();
        }
    }

    @AfterAll
    void closeHost()
    {
        if (host != null)
        {
            host.close();
        }
    }
}
