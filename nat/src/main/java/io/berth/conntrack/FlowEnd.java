package io.berth.conntrack;

/** Why a connection ended, as the flow log records it. Stateless constants. */
public final class FlowEnd
{
    /** Its timeout ran out (idle, or never answered). */
    public static final int TIMEOUT = 1;
    /** TCP: both sides sent FIN and the last one was acknowledged. */
    public static final int FIN = 2;
    /** TCP: a reset from either side. */
    public static final int RESET = 3;
    /** `berth conntrack flush`, or berthd flushed a container's connections. */
    public static final int FLUSH = 4;
    /** Taken out by the control plane (a restore that clashed, a removal). */
    public static final int REMOVED = 5;

    private static final String[] NAMES = {"?", "timeout", "fin", "reset", "flush", "removed"};

    private FlowEnd()
    {
    }

    public static String name(final int reason)
    {
        return reason > 0 && reason < NAMES.length ? NAMES[reason] : "?" + reason;
    }
}
