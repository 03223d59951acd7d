/**
 * io_uring from Java, for batching the packet path's syscalls (issue 11): {@link io.berth.tap.uring.IoUring}
 * maps a ring's submission and completion queues and its SQE array into off-heap memory and drives them with
 * ordered stores and volatile loads; {@link io.berth.tap.uring.UringSys} is the jnr-ffi binding of the syscalls.
 * Not yet wired into ports: docs/performance.md ("Syscalls per frame") has the measurement of what it saves there.
 */
package io.berth.tap.uring;
