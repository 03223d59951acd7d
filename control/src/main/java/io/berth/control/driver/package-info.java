/**
 * The one list of berth's network drivers ({@link io.berth.control.driver.Drivers}). The SPI they implement is in
 * {@code driver.spi}; each driver is a package of its own (bridge, host, none, overlay, macvlan, ipvlan) that owns
 * its options, its endpoints and the dataplane state it asks for. A new driver is a package beside them and one
 * line in {@code Drivers}. Control thread.
 */
package io.berth.control.driver;
