package io.berth.dataplane.graph;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;

/**
 * berth trace's view of the graph: told of every batch a node is handed (it marks the packets to follow at the
 * first node, {@link PacketPool#trace}) and of how each marked packet ends. Armed only while a trace runs; an
 * unarmed graph pays one field read per batch and per packet end. Worker thread.
 */
public interface GraphTracer
{
    int TRANSMITTED = 0;
    int DROPPED = 1;
    int DELIVERED = 2;
    int MERGED = 3;

    /** Node {@code node} is about to process {@code batch}. */
    void entering(int node, PacketPool pool, PacketBatch batch);

    /** A marked packet ended at {@code node}: {@link #TRANSMITTED}, {@link #DROPPED} (with its reason), ... */
    void ended(int node, int handle, int how, DropReason reason);
}
