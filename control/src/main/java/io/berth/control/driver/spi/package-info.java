/**
 * The network-driver SPI: {@link io.berth.control.driver.spi.NetworkDriver} and its registry, the helpers drivers
 * share (segment ids, LAN parents, drivers without a dataplane). Drivers see networks and endpoints as the
 * {@code model} records, never the control state, so the state can call drivers and no driver can reach back.
 * Control thread.
 */
package io.berth.control.driver.spi;
