/**
 * The host driver: the container runs in berthd's own namespace (--network host). Control thread.
 */
package io.berth.control.driver.host;
