package io.berth.conntrack;

/** A connection as one {@code conntrack -L}-like line. Allocates: control plane and tests only. */
public final class ConnectionText
{
    private ConnectionText()
    {
    }

    /** One `conntrack -L`-like line. Allocates: control plane. */
    public static String describe(final ConnectionTable table, final int entry, final long nowMillis)
    {
        final int f = table.flags(entry);
        final StringBuilder sb = new StringBuilder(160)
            .append(Tuples.protocolName(table.protocol(entry))).append(' ')
            .append(ConnState.name(table.state(entry))).append(' ')
            .append(Math.max(0, (table.expiry(entry) - nowMillis) / 1000)).append("s ")
            .append(Tuples.format(table.key1(entry << 1), table.key2(entry << 1)).substring(Tuples.protocolName(table.protocol(entry)).length() + 1))
            .append(" | ")
            .append(Tuples.format(table.key1((entry << 1) | 1), table.key2((entry << 1) | 1)).substring(Tuples.protocolName(table.protocol(entry)).length() + 1));
        if ((f & ConnectionFlags.F_SEEN_REPLY) == 0)
        {
            sb.append(" [UNREPLIED]");
        }
        if ((f & ConnectionFlags.F_ASSURED) != 0)
        {
            sb.append(" [ASSURED]");
        }
        if ((f & ConnectionFlags.F_SNAT) != 0)
        {
            sb.append(" [SNAT]");
        }
        if ((f & ConnectionFlags.F_DNAT) != 0)
        {
            sb.append(" [DNAT]");
        }
        return sb.toString();
    }
}
