/**
 * The null driver: a namespace with only lo (--network none). Control thread.
 */
package io.berth.control.driver.none;
