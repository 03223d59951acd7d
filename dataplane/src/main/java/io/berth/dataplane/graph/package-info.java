/**
 * The node graph: nodes with named arcs and declared drop reasons, built by name, run in batches by the worker
 * thread.
 */
package io.berth.dataplane.graph;
