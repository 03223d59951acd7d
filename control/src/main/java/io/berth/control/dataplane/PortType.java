package io.berth.control.dataplane;

import io.berth.control.error.BerthException;
import io.berth.tap.xdp.XskSocket;

import java.util.Locale;

/**
 * How a container's eth0 is driven: a TAP whose fd berthd reads and writes (the default: TSO, the best bulk TCP),
 * or a veth whose other end berthd reads through an XDP program and an AF_XDP socket's rings (the best small-frame
 * rate: no system call per frame received; no TSO, so TCP pays per segment). Immutable.
 */
public enum PortType
{
    TAP,
    AFXDP;

    /** The largest MTU an AF_XDP port's chunk holds (a frame and its Ethernet header). */
    public static final int AFXDP_MAX_MTU = XskSocket.MAX_FRAME - 14;

    /** {@code tap} or {@code afxdp}, as {@code --port-type} and {@code -o port=} take them. */
    public static PortType parse(final String text, final String option)
    {
        return switch (text.toLowerCase(Locale.ROOT))
        {
            case "tap" -> TAP;
            case "afxdp" -> AFXDP;
            default -> throw new BerthException("invalid " + option + " \"" + text + "\": expected tap or afxdp");
        };
    }

    public String text()
    {
        return name().toLowerCase(Locale.ROOT);
    }
}
