package io.berth.control.error;

/**
 * A request berth refuses or cannot carry out; the message is shown to the user as is, so it names the offending
 * value and what would be valid. Thrown before any state changed (or after rolling back).
 */
public class BerthException extends RuntimeException
{
    public BerthException(final String message)
    {
        super(message);
    }

    public BerthException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
