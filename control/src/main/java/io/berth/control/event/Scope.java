package io.berth.control.event;

/** Where a network exists: on this host only, or on every host sharing a global store (overlay). */
public enum Scope
{
    LOCAL, GLOBAL;

    /** As {@code network ls} and {@code network inspect} show it: "local" or "global". */
    public String text()
    {
        return name().toLowerCase();
    }

    public static Scope of(final String text)
    {
        return text == null ? LOCAL : valueOf(text.toUpperCase());
    }
}
