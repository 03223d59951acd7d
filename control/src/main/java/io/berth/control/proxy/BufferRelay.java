package io.berth.control.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A relay through a direct buffer in the JVM: each byte is copied in from one socket and out to the other. The
 * fallback where splice(2) cannot be used. Selector thread only.
 */
final class BufferRelay implements Relay
{
    /** Fill mode: bytes from 0 to position() wait to be written. */
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(UserlandProxy.BUFFER_BYTES);

    @Override
    public boolean fill(final SocketChannel from) throws IOException
    {
        return from.read(buffer) >= 0;
    }

    @Override
    public void drain(final SocketChannel to) throws IOException
    {
        if (buffer.position() == 0)
        {
            return;
        }
        buffer.flip();
        to.write(buffer);
        buffer.compact();
    }

    @Override
    public boolean holdsBytes()
    {
        return buffer.position() > 0;
    }

    @Override
    public boolean hasRoom()
    {
        return buffer.hasRemaining();
    }

    @Override
    public void close()
    {
        // the buffer goes with the relay
    }
}
