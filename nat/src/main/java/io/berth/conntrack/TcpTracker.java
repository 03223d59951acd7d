package io.berth.conntrack;

import io.berth.dataplane.flyweight.TcpFlyweight;

import static io.berth.conntrack.ConnState.CLOSE;
import static io.berth.conntrack.ConnState.CLOSE_WAIT;
import static io.berth.conntrack.ConnState.ESTABLISHED;
import static io.berth.conntrack.ConnState.FIN_WAIT;
import static io.berth.conntrack.ConnState.LAST_ACK;
import static io.berth.conntrack.ConnState.SYN_RECV;
import static io.berth.conntrack.ConnState.SYN_SENT;
import static io.berth.conntrack.ConnState.TIME_WAIT;
import static io.berth.conntrack.ConnectionFlags.F_ASSURED;
import static io.berth.conntrack.ConnectionFlags.F_FIN_ORIGINAL;
import static io.berth.conntrack.ConnectionFlags.F_FIN_REPLY;
import static io.berth.conntrack.ConnectionFlags.F_LAST_FIN_REPLY;
import static io.berth.conntrack.ConnectionFlags.F_SEEN_REPLY;
import static io.berth.conntrack.ConnectionTable.ORIGINAL;
import static io.berth.conntrack.ConnectionTable.REPLY;

/**
 * The TCP state machine, on flags only (no sequence-window checks, which Linux does and we do not yet).
 * <pre>
 *  packet            state             -> state
 *  SYN    orig       (new)                SYN_SENT
 *  SYN    orig       SYN_SENT             SYN_SENT (retransmit)
 *  SYN    orig       TIME_WAIT, CLOSE     SYN_SENT (tuple reused: flags reset, NAT mapping kept)
 *  SYN    orig       others               ignored (passes, no change)
 *  SYN/ACK reply     SYN_SENT, SYN_RECV   SYN_RECV
 *  SYN/ACK reply     ESTABLISHED..        ignored (retransmit after a lost ACK)
 *  ACK    orig       SYN_RECV             ESTABLISHED (assured)
 *  FIN    either     SYN_RECV, ESTAB.     FIN_WAIT
 *  ACK    other side FIN_WAIT             CLOSE_WAIT
 *  FIN    other side FIN_WAIT, CLOSE_WAIT LAST_ACK
 *  ACK    other side of the last FIN, LAST_ACK  TIME_WAIT
 *  RST    either     any                  CLOSE
 *  anything else that makes no sense (ACK in SYN_SENT, SYN/ACK from the originator, no flags): INVALID
 * </pre>
 * Stateless; called from the worker thread that owns the table.
 */
public final class TcpTracker
{
    /** {@link #track}: the packet does not fit the connection; it is dropped. */
    public static final int INVALID = -1;
    /** {@link #track}: the packet passes but changes nothing (no state change, no timer refresh). */
    public static final int IGNORE = -2;

    private static final int SYN_ACK = TcpFlyweight.SYN | TcpFlyweight.ACK;

    private TcpTracker()
    {
    }

    /** A bare SYN opens a connection; mid-stream packets only where {@link MidstreamPickup} allows. */
    public static boolean opens(final int tcpFlags)
    {
        return (tcpFlags & (SYN_ACK | TcpFlyweight.RST | TcpFlyweight.FIN)) == TcpFlyweight.SYN;
    }

    /** A packet of an open stream (ACK, maybe FIN, no SYN or RST): what {@link MidstreamPickup} may pick up. */
    public static boolean continues(final int tcpFlags)
    {
        return (tcpFlags & (TcpFlyweight.SYN | TcpFlyweight.RST)) == 0 && (tcpFlags & TcpFlyweight.ACK) != 0;
    }

    /**
     * Advances {@code entry} for a packet with {@code tcpFlags} travelling in {@code direction}.
     *
     * @return the new state (already stored), {@link #INVALID} or {@link #IGNORE}.
     */
    public static int track(final ConnectionTable table, final int entry, final int direction, final int tcpFlags)
    {
        final int state = table.state(entry);
        final int next = next(table, entry, state, direction, tcpFlags);
        if (next >= 0)
        {
            table.state(entry, next);
            if (direction == REPLY)
            {
                table.addFlags(entry, F_SEEN_REPLY);
            }
        }
        return next;
    }

    private static int next(final ConnectionTable table, final int entry, final int state, final int direction, final int tcpFlags)
    {
        if ((tcpFlags & TcpFlyweight.RST) != 0)
        {
            return CLOSE; // no window check yet: any RST for a known tuple closes
        }
        if ((tcpFlags & SYN_ACK) == TcpFlyweight.SYN)
        {
            if (direction != ORIGINAL)
            {
                return INVALID; // simultaneous open: not supported
            }
            switch (state)
            {
                case SYN_SENT:
                    return SYN_SENT;
                case TIME_WAIT:
                case CLOSE:
                    table.clearFlags(entry, F_SEEN_REPLY | F_ASSURED | F_FIN_ORIGINAL | F_FIN_REPLY | F_LAST_FIN_REPLY);
                    return SYN_SENT;
                default:
                    return IGNORE;
            }
        }
        if ((tcpFlags & SYN_ACK) == SYN_ACK)
        {
            if (direction != REPLY)
            {
                return INVALID;
            }
            return state == SYN_SENT || state == SYN_RECV ? SYN_RECV : state == CLOSE ? INVALID : IGNORE;
        }
        if ((tcpFlags & TcpFlyweight.FIN) != 0)
        {
            return fin(table, entry, state, direction);
        }
        if ((tcpFlags & TcpFlyweight.ACK) == 0)
        {
            return INVALID; // no SYN, FIN, RST or ACK: a null packet
        }
        switch (state)
        {
            case SYN_SENT:
                return INVALID;
            case SYN_RECV:
                if (direction == ORIGINAL)
                {
                    table.addFlags(entry, F_ASSURED);
                    return ESTABLISHED;
                }
                return SYN_RECV;
            case FIN_WAIT:
                return finFrom(table, entry, direction) ? FIN_WAIT : CLOSE_WAIT;
            case LAST_ACK:
                return table.hasFlags(entry, F_LAST_FIN_REPLY) == (direction == REPLY) ? LAST_ACK : TIME_WAIT;
            default:
                return state; // ESTABLISHED, CLOSE_WAIT, TIME_WAIT, CLOSE stay
        }
    }

    private static int fin(final ConnectionTable table, final int entry, final int state, final int direction)
    {
        final int mark = direction == ORIGINAL ? F_FIN_ORIGINAL : F_FIN_REPLY;
        switch (state)
        {
            case SYN_SENT:
                return INVALID;
            case SYN_RECV:
            case ESTABLISHED:
                newFin(table, entry, direction, mark);
                return FIN_WAIT;
            case FIN_WAIT:
            case CLOSE_WAIT:
                if (finFrom(table, entry, direction))
                {
                    return state; // retransmitted FIN
                }
                newFin(table, entry, direction, mark);
                return LAST_ACK;
            default:
                return state; // LAST_ACK, TIME_WAIT, CLOSE: retransmits
        }
    }

    private static boolean finFrom(final ConnectionTable table, final int entry, final int direction)
    {
        return table.hasFlags(entry, direction == ORIGINAL ? F_FIN_ORIGINAL : F_FIN_REPLY);
    }

    private static void newFin(final ConnectionTable table, final int entry, final int direction, final int mark)
    {
        table.addFlags(entry, mark);
        if (direction == REPLY)
        {
            table.addFlags(entry, F_LAST_FIN_REPLY);
        }
        else
        {
            table.clearFlags(entry, F_LAST_FIN_REPLY);
        }
    }
}
