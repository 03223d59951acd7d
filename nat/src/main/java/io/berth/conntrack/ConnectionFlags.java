package io.berth.conntrack;

import java.util.ArrayList;
import java.util.List;

/**
 * What a connection in the {@link ConnectionTable} is flagged with, one bit each ({@link ConnectionTable#flags}):
 * what was seen of it, what NAT decided, where its TCP close stands, what the flow log was told; and the names a
 * listing shows. Constants.
 */
public final class ConnectionFlags
{
    /** Something was seen in the reply direction. */
    public static final int F_SEEN_REPLY = 1;
    /** Assured: established (TCP) or answered (UDP); kept until its timeout. */
    public static final int F_ASSURED = 1 << 1;
    /** The source of the original direction is translated (masquerade). */
    public static final int F_SNAT = 1 << 2;
    /** The destination of the original direction is translated (published port). */
    public static final int F_DNAT = 1 << 3;
    /** The SNAT decision was taken (whether or not it translates). */
    public static final int F_SNAT_DONE = 1 << 4;
    /** The DNAT decision was taken (whether or not it translates). */
    public static final int F_DNAT_DONE = 1 << 5;
    /** TCP: a FIN was seen in the original direction. */
    public static final int F_FIN_ORIGINAL = 1 << 6;
    /** TCP: a FIN was seen in the reply direction. */
    public static final int F_FIN_REPLY = 1 << 7;
    /** TCP: the most recent new FIN came in the reply direction. */
    public static final int F_LAST_FIN_REPLY = 1 << 8;
    /** NAT could not be set up (no free port, reply tuple taken): its packets are dropped until it expires. */
    public static final int F_NAT_FAILED = 1 << 9;
    /** TCP: created mid-stream ({@link MidstreamPickup}), the other end not heard from yet. */
    public static final int F_PICKED_UP = 1 << 10;
    /** With {@link #F_PICKED_UP}: the packet that re-created it travelled in the reply direction. */
    public static final int F_PICKED_UP_REPLY = 1 << 11;
    /** The flow log was told the connection started (its other side answered). */
    public static final int F_FLOW_STARTED = 1 << 12;
    /** The flow log was told the connection ended (FIN both ways, RST): its expiry is not another end. */
    public static final int F_FLOW_ENDED = 1 << 13;

    private ConnectionFlags()
    {
    }

    /** The flags a listing shows (as Linux's conntrack does), by name, in its order. Allocates: control plane. */
    public static List<String> shown(final int flags)
    {
        final List<String> names = new ArrayList<>(4);
        if ((flags & F_SEEN_REPLY) == 0)
        {
            names.add("UNREPLIED");
        }
        if ((flags & F_ASSURED) != 0)
        {
            names.add("ASSURED");
        }
        if ((flags & F_SNAT) != 0)
        {
            names.add("SNAT");
        }
        if ((flags & F_DNAT) != 0)
        {
            names.add("DNAT");
        }
        return names;
    }
}
