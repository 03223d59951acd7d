/**
 * The bridge driver: a local L2 segment per network with its gateway answered by the dataplane (Docker's default).
 * Control thread.
 */
package io.berth.control.driver.bridge;
