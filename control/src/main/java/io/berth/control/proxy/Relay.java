package io.berth.control.proxy;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * One direction of a relayed TCP connection: what was read from one socket and not yet written to the other.
 * Selector thread only.
 */
interface Relay extends AutoCloseable
{
    /** Reads what {@code from} has, as far as there is room. @return false at the end of its stream. */
    boolean fill(SocketChannel from) throws IOException;

    /** Writes what is held to {@code to}, as far as it takes it. */
    void drain(SocketChannel to) throws IOException;

    /** Whether bytes wait to be written. */
    boolean holdsBytes();

    /** Whether there is room to read more. */
    boolean hasRoom();

    @Override
    void close();
}
