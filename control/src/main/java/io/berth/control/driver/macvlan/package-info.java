/**
 * The macvlan driver: containers on the host's LAN with MACs of their own, through a parent interface berth
 * drives. Control thread.
 */
package io.berth.control.driver.macvlan;
