/**
 * Software offloads for ports that take no virtio-net header or must see each segment on its own: cutting a TSO
 * super-frame into MSS-sized TCP segments in place ({@link io.berth.dataplane.offload.TcpSegmenter}). Worker
 * threads; allocation-free.
 */
package io.berth.dataplane.offload;
