package io.berth.dataplane;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * VarHandles for the single-writer fields other threads read: the worker writes with {@code setRelease}, readers
 * use {@code getAcquire} (plain moves on x86). Setup time.
 */
public final class VarHandles
{
    private VarHandles()
    {
    }

    /** The field {@code name} of the class {@code lookup} was made in ({@code MethodHandles.lookup()}). */
    public static VarHandle field(final MethodHandles.Lookup lookup, final String name, final Class<?> type)
    {
        try
        {
            return lookup.findVarHandle(lookup.lookupClass(), name, type);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }
}
