package io.berth.control.dataplane;

import io.berth.control.error.BerthException;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.graph.Node;

import java.util.List;
import java.util.Map;

/**
 * {@code berth capture}'s sessions: a stage (a graph node) and ports resolved by name, and the one
 * {@link CaptureRing} made at the first capture and shared by all. Opened on the control thread (one at a time);
 * {@link #describe} from any thread (counters).
 */
final class Captures implements AutoCloseable
{
    private final PacketPath pipeline;
    private final PortDirectory ports;
    private volatile CaptureRing ring; // made by the first capture; read by counters on any thread

    Captures(final PacketPath pipeline, final PortDirectory ports)
    {
        this.pipeline = pipeline;
        this.ports = ports;
    }

    synchronized CaptureRing.Session open(final String stage, final List<String> portNames, final int snaplen)
    {
        final Node node = pipeline.graph().nodes().stream()
            .filter(n -> n.name().equals(stage)).findFirst()
            .orElseThrow(() -> new BerthException("unknown capture stage " + stage + ": give rx, " +
                "pre-nat, post-nat, tx or a graph node (" + String.join(", ",
                pipeline.graph().nodes().stream().map(Node::name).toList()) + ")"));
        final boolean[] armed = new boolean[PortTable.MAX_PORTS];
        for (final String name : portNames)
        {
            final int id = ports.idOf(name);
            if (id < 0)
            {
                throw new BerthException("no port " + name + " to capture on: berth counters lists them");
            }
            armed[id] = true;
        }
        if (ring == null)
        {
            ring = new CaptureRing(pipeline, ports::nameOf);
        }
        return ring.open(node.index(), stage, armed, snaplen);
    }

    /** The open sessions, under "captures" in {@code counters}, once any capture was made. */
    void describe(final Map<String, Object> counters)
    {
        final CaptureRing armed = ring;
        if (armed != null)
        {
            counters.put("captures", armed.describe());
        }
    }

    @Override
    public void close()
    {
        final CaptureRing armed = ring;
        if (armed != null)
        {
            armed.close();
        }
    }
}
