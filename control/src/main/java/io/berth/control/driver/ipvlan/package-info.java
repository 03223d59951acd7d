/**
 * The ipvlan driver (L2 and L3 modes): containers share their parent's MAC on the host's LAN, switched and routed
 * by berth. Control thread.
 */
package io.berth.control.driver.ipvlan;
