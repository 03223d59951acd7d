package io.berth.control.driver.host;

import io.berth.control.driver.spi.NoDataplaneDriver;

/**
 * {@code --network host}: the container's processes run in berthd's own namespace. One pre-defined network, no
 * endpoints, no addresses, nothing in the dataplane. Control thread.
 */
public final class HostDriver extends NoDataplaneDriver
{
    public static final String NAME = "host";

    public HostDriver()
    {
        super(NAME, Attachment.HOST_NAMESPACE);
    }
}
