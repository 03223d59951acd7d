/**
 * The network-driver SPI ({@link io.berth.control.driver.NetworkDriver}) and its registry. Each driver is a
 * package of its own (bridge, host, none; overlay, macvlan, ipvlan to come) that owns its options, its endpoints
 * and the dataplane state it asks for. Control thread.
 */
package io.berth.control.driver;
