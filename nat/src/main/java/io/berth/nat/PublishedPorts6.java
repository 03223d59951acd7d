package io.berth.nat;

import org.agrona.collections.Int2IntHashMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ports published over IPv6 (issue 27: {@code -p [::]:8080:80}, {@code -p [UPLINK6]:8080:80}, and {@code -p
 * 8080:80} on a dual-stack network): (protocol, host port) on berthd's uplink IPv6 address -> the container's IPv6
 * address and port. berthd owns one IPv6 address outside, so the host address is not part of the key; the
 * address is kept here ({@link #address}) for the translation stage to check a packet is for it. One hash lookup,
 * allocation-free; changes may grow the map. Owned by the worker thread: the control plane's changes come as
 * commands it runs.
 */
public final class PublishedPorts6
{
    public static final int NONE = -1;

    /** (protocol << 16 | host port) -> index into the target arrays. */
    private final Int2IntHashMap indexByPort = new Int2IntHashMap(NONE);
    private long[] targetHi = new long[16];
    private long[] targetLo = new long[16];
    private int[] targetPort = new int[16];
    private final List<Integer> freeIndexes = new ArrayList<>();
    private int used;
    private long addressHi;
    private long addressLo;

    /** Control command: berthd's uplink IPv6 address, the one these ports are published on. */
    public void address(final long hi, final long lo)
    {
        addressHi = hi;
        addressLo = lo;
    }

    /** Whether the packet's destination is the address ports are published on. */
    public boolean isOurs(final long hi, final long lo)
    {
        return hi == addressHi && lo == addressLo && (hi != 0 || lo != 0);
    }

    /** The target's index for a packet to (protocol, port) on {@link #address}, or {@link #NONE}. */
    public int lookup(final int protocol, final int hostPort)
    {
        return indexByPort.get(key(protocol, hostPort));
    }

    public long targetHi(final int index)
    {
        return targetHi[index];
    }

    public long targetLo(final int index)
    {
        return targetLo[index];
    }

    public int targetPort(final int index)
    {
        return targetPort[index];
    }

    /** Control command. False, changing nothing, when (protocol, port) is published already. */
    public boolean publish(final int protocol, final int hostPort, final long hi, final long lo, final int port)
    {
        final int key = key(protocol, hostPort);
        if (indexByPort.get(key) != NONE)
        {
            return false;
        }
        final int index = freeIndexes.isEmpty() ? used++ : freeIndexes.remove(freeIndexes.size() - 1);
        if (index == targetHi.length)
        {
            targetHi = Arrays.copyOf(targetHi, index * 2);
            targetLo = Arrays.copyOf(targetLo, index * 2);
            targetPort = Arrays.copyOf(targetPort, index * 2);
        }
        targetHi[index] = hi;
        targetLo[index] = lo;
        targetPort[index] = port;
        indexByPort.put(key, index);
        return true;
    }

    /** Control command. False when it was not published. */
    public boolean unpublish(final int protocol, final int hostPort)
    {
        final int index = indexByPort.remove(key(protocol, hostPort));
        if (index == NONE)
        {
            return false;
        }
        freeIndexes.add(index);
        return true;
    }

    public int size()
    {
        return indexByPort.size();
    }

    private static int key(final int protocol, final int hostPort)
    {
        return ((protocol & 0xFF) << 16) | (hostPort & 0xFFFF);
    }
}
