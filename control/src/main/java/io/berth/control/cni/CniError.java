package io.berth.control.cni;

/** A CNI error result: the spec's code (1-99) or berth's own (100 and above), a message and details. */
public final class CniError extends RuntimeException
{
    public static final int INCOMPATIBLE_VERSION = 1;
    public static final int UNSUPPORTED_FIELD = 2;
    public static final int UNKNOWN_CONTAINER = 3;
    public static final int INVALID_ENVIRONMENT = 4;
    public static final int IO_FAILURE = 5;
    public static final int DECODE_FAILURE = 6;
    public static final int INVALID_CONFIG = 7;
    public static final int TRY_AGAIN = 11;
    /** berthd refused the request (a taken address or port, an unknown network ...): its message says which. */
    public static final int REFUSED = 100;
    /** CHECK found the interface, address or routes other than the previous result says. */
    public static final int CHECK_FAILED = 101;

    private final int code;
    private final String details;

    public CniError(final int code, final String message, final String details)
    {
        super(message);
        this.code = code;
        this.details = details == null ? "" : details;
    }

    public CniError(final int code, final String message)
    {
        this(code, message, "");
    }

    public int code()
    {
        return code;
    }

    public String details()
    {
        return details;
    }
}
