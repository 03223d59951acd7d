/**
 * The packet path's foundation: an off-heap {@link io.berth.dataplane.PacketPool} whose packets are {@code int}
 * handles, {@link io.berth.dataplane.PacketBatch batches} of handles, the {@link io.berth.dataplane.Port} SPI,
 * the stage graph ({@code graph}), header flyweights ({@code flyweight}) and the worker agent that runs it all.
 * Everything here is owned by one dataplane worker thread unless a class says otherwise.
 */
package io.berth.dataplane;
