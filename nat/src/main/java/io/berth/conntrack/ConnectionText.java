package io.berth.conntrack;

/** A connection as one {@code conntrack -L}-like line. Allocates: control plane and tests only. */
public final class ConnectionText
{
    private ConnectionText()
    {
    }

    public static String describe(final ConnectionTable table, final int entry, final long nowMillis)
    {
        final String protocol = Tuples.protocolName(table.protocol(entry));
        final StringBuilder sb = new StringBuilder(160).append(protocol).append(' ')
            .append(ConnState.name(table.state(entry))).append(' ')
            .append(Math.max(0, (table.expiry(entry) - nowMillis) / 1000)).append("s ");
        for (int direction = 0; direction < 2; direction++)
        {
            final int ref = (entry << 1) | direction;
            // Tuples.format starts with the protocol, said once at the front of the line
            sb.append(direction == 0 ? "" : " | ")
                .append(Tuples.format(table.key1(ref), table.key2(ref)).substring(protocol.length() + 1));
        }
        for (final String flag : ConnectionFlags.shown(table.flags(entry)))
        {
            sb.append(" [").append(flag).append(']');
        }
        return sb.toString();
    }
}
