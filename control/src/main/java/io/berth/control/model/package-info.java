/**
 * Networks, endpoints, published ports and container processes as records built from events: what drivers,
 * sandboxes, the port proxy and the front ends read. The control state ({@code state}) owns and changes them;
 * living below it lets those packages use them without depending on the state. Control thread.
 */
package io.berth.control.model;
