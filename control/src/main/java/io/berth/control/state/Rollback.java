package io.berth.control.state;

import java.util.ArrayList;
import java.util.List;

/**
 * The one shape of undo: every step that changed something outside the state (a namespace, a port, a DNAT entry,
 * a service's resources) pushes how to take it back; a failure later runs them newest first. A request that
 * completes simply drops the list. Control thread.
 */
final class Rollback
{
    private final List<Runnable> steps = new ArrayList<>();

    void add(final Runnable undo)
    {
        steps.add(undo);
    }

    /** Undoes every step, newest first; one failing undo does not stop the others. */
    void undo()
    {
        for (int i = steps.size() - 1; i >= 0; i--)
        {
            try
            {
                steps.get(i).run();
            }
            catch (final RuntimeException ex)
            {
                System.getLogger("io.berth.control").log(System.Logger.Level.WARNING, "undo failed: " + ex.getMessage());
            }
        }
        steps.clear();
    }
}
