/**
 * The capture tap: copies of packets at a graph stage for berth capture, dropped rather than waited for when the
 * reader falls behind. Worker thread.
 */
package io.berth.dataplane.capture;
