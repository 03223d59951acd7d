package io.berth.control.driver.spi;

import java.util.BitSet;

/**
 * Dataplane segment (bridge-domain) ids, shared by every driver that makes segments (bridge, overlay), so two
 * drivers never pick the same one. Runtime only: chosen afresh at every start. Control thread.
 */
public final class SegmentIds
{
    private final BitSet taken = new BitSet();

    /** The lowest free id, taken. */
    public int allocate()
    {
        final int id = taken.nextClearBit(0);
        taken.set(id);
        return id;
    }

    public void free(final int id)
    {
        taken.clear(id);
    }
}
