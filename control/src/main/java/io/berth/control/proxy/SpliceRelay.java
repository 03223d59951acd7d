package io.berth.control.proxy;

import io.berth.control.dataplane.Splicing;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * A relay through a pipe with splice(2): the kernel moves the socket's pages into the pipe and from the pipe into
 * the other socket, and no byte is copied into the JVM (pasta's way). The pipe's capacity is the relay's room.
 * Selector thread only; allocates nothing per call.
 */
final class SpliceRelay implements Relay
{
    /** The pipe's capacity asked for: a larger pipe moves more per system call (the default is 64 KiB). */
    static final int PIPE_BYTES = 1 << 20;

    private final int readEnd;
    private final int writeEnd;
    private final int capacity;
    private final int fromFd;
    private final int toFd;
    private long held;

    private SpliceRelay(final int[] pipe, final int capacity, final int fromFd, final int toFd)
    {
        this.readEnd = pipe[0];
        this.writeEnd = pipe[1];
        this.capacity = capacity;
        this.fromFd = fromFd;
        this.toFd = toFd;
    }

    /** A relay from socket fd {@code fromFd} to {@code toFd}; an IOException when no pipe can be made. */
    static SpliceRelay between(final int fromFd, final int toFd) throws IOException
    {
        final int[] pipe = Splicing.pipe("a splicing proxy relay");
        return new SpliceRelay(pipe, Splicing.resize(pipe[1], PIPE_BYTES), fromFd, toFd);
    }

    @Override
    public boolean fill(final SocketChannel from) throws IOException
    {
        if (held == capacity)
        {
            return true; // a readiness left from before the pipe filled: splice of 0 bytes would read as the end
        }
        final long n = Splicing.splice(fromFd, writeEnd, capacity - held);
        if (n > 0)
        {
            held += n;
            return true;
        }
        if (n == 0)
        {
            return false; // the peer's FIN
        }
        if (Splicing.isAgain(n))
        {
            return true;
        }
        throw new IOException("splice from the socket: errno " + (-n));
    }

    @Override
    public void drain(final SocketChannel to) throws IOException
    {
        while (held > 0)
        {
            final long n = Splicing.splice(readEnd, toFd, held);
            if (n > 0)
            {
                held -= n;
                continue;
            }
            if (Splicing.isAgain(n))
            {
                return; // the socket's send buffer is full: OP_WRITE tells when it has room
            }
            throw new IOException("splice into the socket: errno " + (-n));
        }
    }

    @Override
    public boolean holdsBytes()
    {
        return held > 0;
    }

    @Override
    public boolean hasRoom()
    {
        return held < capacity;
    }

    @Override
    public void close()
    {
        Splicing.close(readEnd);
        Splicing.close(writeEnd);
    }
}
