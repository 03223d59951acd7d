/**
 * Docker's overlay driver in userspace: global networks joined across hosts by VXLAN, their definitions, addresses
 * and endpoints in the store. Control thread.
 */
package io.berth.control.driver.overlay;
