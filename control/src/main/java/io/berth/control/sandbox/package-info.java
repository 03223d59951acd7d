/**
 * Sandboxes (named network namespaces that {@code ip netns exec NAME} enters) and container processes: creating and
 * deleting namespaces, starting commands detached inside them, telling whether they still run, and killing them.
 * Called from the control thread.
 */
package io.berth.control.sandbox;
