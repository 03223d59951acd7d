/**
 * berth's configuration: networks, containers and their endpoints, rebuilt from journal events
 * ({@link io.berth.control.state.State#apply}), and the {@link io.berth.control.state.ControlService} that validates
 * requests, drives the dataplane and the sandboxes, and journals what succeeded. Everything here is owned by the
 * control thread.
 */
package io.berth.control.state;
