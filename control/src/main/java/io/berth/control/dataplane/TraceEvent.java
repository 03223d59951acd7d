package io.berth.control.dataplane;

/**
 * One step of a traced packet (berth trace): what a graph node was handed ({@code kind} "enter", with the first
 * bytes of the frame, its ports and, past conntrack, its classification and entry), or how the packet ended
 * ("tx" with its egress, "drop" with the reason, "delivered", "merged").
 *
 * @param packet    which traced packet (1, 2, ... in the order they were picked up).
 * @param node      the graph node's name.
 * @param egress    the egress port's name, "flood" (every port of the network), or "" when none is decided.
 * @param ctClass   "new", "established", "related", "untracked", or null before conntrack.
 * @param ctEntry   the connection as {@code berth conntrack ls} shows it, or null.
 */
public record TraceEvent(int packet, String node, String kind, String reason, byte[] frame, int frameLength,
    String inPort, String egress, String ctClass, String ctDirection, String ctEntry)
{
}
