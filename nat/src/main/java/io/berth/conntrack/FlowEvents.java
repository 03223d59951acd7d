package io.berth.conntrack;

/**
 * Told when a connection starts (its other side first answers, so both tuples, after NAT, are known) and when it
 * ends ({@link FlowEnd}), with its entry still intact. Worker thread; must not allocate or block.
 */
public interface FlowEvents
{
    FlowEvents NONE = new FlowEvents()
    {
        @Override
        public void started(final ConnectionTable table, final int entry, final long nowMillis)
        {
        }

        @Override
        public void ended(final ConnectionTable table, final int entry, final int reason, final long nowMillis)
        {
        }
    };

    void started(ConnectionTable table, int entry, long nowMillis);

    void ended(ConnectionTable table, int entry, int reason, long nowMillis);
}
