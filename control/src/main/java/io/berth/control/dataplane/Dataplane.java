package io.berth.control.dataplane;

import java.io.IOException;
import java.util.Map;

/**
 * What the control plane asks of the packet path. berthd's composition root builds one; the control plane calls
 * it from its API thread (calls are serialised by the caller). Implementations hand table changes to the
 * worker thread as commands and wait for them, so a call returns once the dataplane acts on it.
 */
public interface Dataplane extends AutoCloseable
{
    /** Starts the worker thread(s). */
    void start();

    /** Creates the bridge domain of a network; its gateway address then answers ARP and ping. */
    void addNetwork(NetworkSpec network);

    /** Removes the bridge domain and everything learned in it. The caller has detached every endpoint. */
    void removeNetwork(int networkId);

    /**
     * Gives a sandbox an interface on a network: creates a TAP device in berthd's namespace (or, when
     * {@code reattach}, reopens the persistent one already in the sandbox, falling back to creating it when it
     * is gone), moves it into the sandbox, names it, sets MAC, address, MTU and routes, and attaches it to the
     * network's bridge domain.
     *
     * @return the dataplane port id.
     * @throws IOException when the device cannot be created or configured; nothing is left behind then.
     */
    int attachEndpoint(EndpointSpec endpoint, boolean reattach) throws IOException;

    /** Detaches the port and deletes its device from the sandbox. */
    void detachEndpoint(int portId);

    /**
     * Counters for {@code berth counters} / inspect: "ports" -> {name -> {counter -> value}}, "drops" ->
     * {reason -> value}, "networks" -> {name -> {"macs": n}}. Plain maps and numbers, ready for JSON.
     */
    Map<String, Object> counters();

    /** Stops the worker and closes every fd, leaving devices (persistent TAPs) in the sandboxes. */
    @Override
    void close();
}
