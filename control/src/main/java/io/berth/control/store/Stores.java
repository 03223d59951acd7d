package io.berth.control.store;

import io.berth.control.error.BerthException;
import io.berth.control.event.Scope;
import io.berth.control.event.Store;

import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** The store of each scope berthd has: always the local journal, a global store once one is configured. */
public final class Stores
{
    private final Map<Scope, Store> byScope = new EnumMap<>(Scope.class);

    public Stores(final Store local)
    {
        if (local.scope() != Scope.LOCAL)
        {
            throw new IllegalArgumentException("the first store must be the local one");
        }
        byScope.put(Scope.LOCAL, local);
    }

    public Stores add(final Store store)
    {
        byScope.put(store.scope(), store);
        return this;
    }

    /** Every store, the local one first: what a restart replays. */
    public Collection<Store> all()
    {
        return Collections.unmodifiableCollection(byScope.values());
    }

    public Store local()
    {
        return byScope.get(Scope.LOCAL);
    }

    /** The store for a network of {@code scope}; refused with what to configure when berthd has none. */
    public Store forScope(final Scope scope)
    {
        final Store store = byScope.get(scope);
        if (store == null)
        {
            throw new BerthException("a " + scope.text() + " network needs a " + scope.text() + " store; start " +
                "berthd with --store etcd://HOST:PORT");
        }
        return store;
    }
}
