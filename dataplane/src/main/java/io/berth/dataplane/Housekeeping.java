package io.berth.dataplane;

/** Bounded background work (aging, expiry) the worker runs a slice of each duty cycle. Worker thread only. */
@FunctionalInterface
public interface Housekeeping
{
    /** Does at most a bounded amount of work; returns how much (0 when nothing was due). */
    int doWork(long nowMillis);
}
