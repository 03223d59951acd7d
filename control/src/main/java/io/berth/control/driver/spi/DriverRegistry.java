package io.berth.control.driver.spi;

import io.berth.control.error.BerthException;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The drivers berthd knows, by name. Filled by the composition root before the first request; control thread. */
public final class DriverRegistry
{
    private final Map<String, NetworkDriver> drivers = new LinkedHashMap<>();

    public DriverRegistry register(final NetworkDriver driver)
    {
        if (drivers.putIfAbsent(driver.name(), driver) != null)
        {
            throw new IllegalStateException("driver " + driver.name() + " is registered twice");
        }
        return this;
    }

    /** The driver of an existing network (journal or store); a missing one is berthd's own bug or a downgrade. */
    public NetworkDriver get(final String name)
    {
        final NetworkDriver driver = drivers.get(name);
        if (driver == null)
        {
            throw new BerthException("driver \"" + name + "\" is not available in this berthd; known drivers: " +
                String.join(", ", drivers.keySet()));
        }
        return driver;
    }

    /** The driver {@code network create -d NAME} asks for; refuses unknown and pre-defined-only drivers. */
    public NetworkDriver forCreate(final String name)
    {
        final NetworkDriver driver = drivers.get(name);
        if (driver == null || !driver.userCreatable())
        {
            throw new BerthException("driver \"" + name + "\" is not supported; valid drivers: " +
                String.join(", ", creatable()));
        }
        return driver;
    }

    public List<String> creatable()
    {
        return drivers.values().stream().filter(NetworkDriver::userCreatable).map(NetworkDriver::name).toList();
    }

    public Collection<NetworkDriver> all()
    {
        return Collections.unmodifiableCollection(drivers.values());
    }
}
