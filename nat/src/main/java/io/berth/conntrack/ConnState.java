package io.berth.conntrack;

/**
 * Per-connection states, one byte's worth, kept in {@link ConnectionTable}. TCP states mirror the Linux
 * conntrack names (so `berth conntrack ls` reads like `conntrack -L`); UDP and ICMP echo use UNREPLIED and
 * REPLIED only. Stateless constants.
 */
public final class ConnState
{
    public static final int NONE = 0;
    public static final int SYN_SENT = 1;
    public static final int SYN_RECV = 2;
    public static final int ESTABLISHED = 3;
    /** A FIN was seen from one side. */
    public static final int FIN_WAIT = 4;
    /** The other side acknowledged that FIN (half-closed). */
    public static final int CLOSE_WAIT = 5;
    /** FINs seen from both sides; waiting for the last ACK. */
    public static final int LAST_ACK = 6;
    public static final int TIME_WAIT = 7;
    /** Reset, or closed before it was established. */
    public static final int CLOSE = 8;
    /** UDP and ICMP echo: only the original direction seen so far. */
    public static final int UNREPLIED = 9;
    /** UDP and ICMP echo: the other side answered. */
    public static final int REPLIED = 10;

    public static final int COUNT = 11;

    private static final String[] NAMES = {
        "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",
        "UNREPLIED", "REPLIED"
    };

    private ConnState()
    {
    }

    public static String name(final int state)
    {
        return state >= 0 && state < COUNT ? NAMES[state] : "?" + state;
    }
}
