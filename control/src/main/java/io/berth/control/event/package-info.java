/**
 * The vocabulary of berth's configuration: each change as an {@link io.berth.control.event.Event}, the
 * {@link io.berth.control.event.Scope} it belongs to, and the {@link io.berth.control.event.Store} SPI that keeps
 * events per scope (the local journal, the global store). A leaf: journal, stores, IPAM and state all speak it
 * without depending on each other. Immutable records; the Store implementations say their thread.
 */
package io.berth.control.event;
