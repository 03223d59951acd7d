package io.berth.conntrack;

/** Told when {@link ConnectionTable} frees an entry (expiry, RST, flush, refusal). Worker thread; must not allocate. */
@FunctionalInterface
public interface EntryRemoval
{
    EntryRemoval NONE = entry -> { };

    void removed(int entry);
}
