package io.berth.control.driver.spi;

import io.berth.control.driver.spi.NetworkDriver.Attachment;
import io.berth.control.event.Scope;

/**
 * What a driver's networks offer, declared once when the driver is made (libnetwork's driverapi.Capability): the
 * controllers read it and never ask which driver they talk to. Immutable.
 *
 * @param name                 the {@code -d NAME} users give; unique in the {@link DriverRegistry}.
 * @param scope                {@link Scope#LOCAL} for networks on this host only, {@link Scope#GLOBAL} for ones
 *                             shared through the store.
 * @param attachment           what a container on one of its networks gets.
 * @param userCreatable        false for the pre-defined singleton drivers (host, null): {@code network create -d
 *                             NAME} is refused.
 * @param externalConnectivity whether its containers can publish ports (DNAT) and are masqueraded to the outside.
 * @param onHostLan            whether its containers sit on a LAN the host may be on itself (macvlan, ipvlan): a
 *                             subnet may then be the uplink's, whose address is never given out.
 */
public record Capabilities(String name, Scope scope, Attachment attachment, boolean userCreatable,
    boolean externalConnectivity, boolean onHostLan)
{
    public Capabilities
    {
        if (name == null || !name.matches("[a-z][a-z0-9_]*"))
        {
            throw new IllegalArgumentException("a driver's name is lower-case letters, digits and _: " + name);
        }
        if (scope == null || attachment == null)
        {
            throw new IllegalArgumentException("driver " + name + " declares no scope or attachment");
        }
        if (attachment != Attachment.ENDPOINT && (externalConnectivity || onHostLan))
        {
            throw new IllegalArgumentException("driver " + name + " has no endpoints: it offers no connectivity");
        }
    }
}
