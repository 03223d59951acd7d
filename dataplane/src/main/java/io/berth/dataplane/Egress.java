package io.berth.dataplane;

/**
 * Codes for {@link PacketPool#egress(int)}: a value {@code >= 0} is a port id; negative values are these.
 * A flood is encoded as {@code FLOOD_BASE - floodListId} so one int says "every port of that list but the inbound".
 */
public final class Egress
{
    public static final int NONE = -1;
    public static final int FLOOD_BASE = -2;

    private Egress()
    {
    }

    public static int flood(final int floodListId)
    {
        return FLOOD_BASE - floodListId;
    }

    public static boolean isFlood(final int egress)
    {
        return egress <= FLOOD_BASE;
    }

    public static int floodListId(final int egress)
    {
        return FLOOD_BASE - egress;
    }
}
