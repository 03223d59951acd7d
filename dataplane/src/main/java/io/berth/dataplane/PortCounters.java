package io.berth.dataplane;

/** Per-port traffic counters; written by the port's worker, read by anyone. */
public final class PortCounters extends CounterSet
{
    public static final int RX_PACKETS = 0;
    public static final int RX_BYTES = 1;
    public static final int TX_PACKETS = 2;
    public static final int TX_BYTES = 3;
    /** Reads that failed for a reason other than "nothing waiting". */
    public static final int RX_ERRORS = 4;
    /** Frames the port would not take (device gone, queue full, a GSO frame on a port without offloads). */
    public static final int TX_ERRORS = 5;
    /** Frames not read because the packet pool was empty. */
    public static final int RX_NO_BUFFER = 6;
    /** Frames read but for no network of this port (a VLAN no network here has); dropped at the port. */
    public static final int RX_FILTERED = 7;

    public static final String[] NAMES = {
        "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_errors", "tx_errors", "rx_no_buffer",
        "rx_filtered" };

    public PortCounters()
    {
        super(NAMES.length);
    }

    public void received(final int bytes)
    {
        increment(RX_PACKETS);
        add(RX_BYTES, bytes);
    }

    public void transmitted(final int bytes)
    {
        increment(TX_PACKETS);
        add(TX_BYTES, bytes);
    }
}
