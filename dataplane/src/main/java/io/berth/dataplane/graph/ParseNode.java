package io.berth.dataplane.graph;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * First stage: checks ({@link FrameCheck}) that what the headers claim fits in the frame, so later stages can read
 * headers without bounds checks. Malformed and truncated frames are counted by reason and dropped; nothing here throws.
 * Owned by the worker thread.
 */
public final class ParseNode extends Node
{
    private final Arc next = declareArc("next");
    private final FrameCheck checker = new FrameCheck();

    /** Arc {@code next} takes well-formed frames. */
    public ParseNode()
    {
        super("parse", DropReason.FRAME_TOO_SHORT, DropReason.FRAME_TOO_LONG, DropReason.SOURCE_MAC_INVALID,
            DropReason.ARP_TRUNCATED, DropReason.ARP_MALFORMED, DropReason.IPV4_TRUNCATED, DropReason.IPV4_MALFORMED);
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final DropReason problem = check(buffer, pool.frameOffset(handle), pool.frameLength(handle));
            if (problem == null)
            {
                graph.enqueue(next, handle);
            }
            else
            {
                graph.drop(handle, problem);
            }
        }
    }

    /** Null when the frame is sound, else why not. */
    DropReason check(final UnsafeBuffer buffer, final int offset, final int length)
    {
        return checker.check(buffer, offset, length);
    }
}
