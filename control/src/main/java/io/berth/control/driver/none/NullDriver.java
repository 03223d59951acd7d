package io.berth.control.driver.none;

import io.berth.control.driver.spi.NoDataplaneDriver;

/**
 * {@code --network none}: the container gets its own namespace with only {@code lo}. One pre-defined network, no
 * endpoints, no addresses, nothing in the dataplane. Control thread.
 */
public final class NullDriver extends NoDataplaneDriver
{
    public static final String NAME = "null";

    public NullDriver()
    {
        super(NAME, Attachment.ISOLATED);
    }
}
