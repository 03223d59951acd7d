/**
 * The flow log (berthd --flow-log): connection starts and ends from the conntrack table, with their tuples before
 * and after NAT, the container, packets and bytes each way, duration and end reason, kept in a Chronicle Queue in
 * the state dir for a retention period and read by {@code berth flows}.
 */
package io.berth.control.flowlog;
