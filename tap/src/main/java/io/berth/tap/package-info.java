/**
 * The Linux side of the dataplane: TAP devices with virtio-net headers and offloads ({@link io.berth.tap.TapDevice},
 * {@link io.berth.tap.TapPort}), the uplink over an AF_PACKET socket with the same headers
 * ({@link io.berth.tap.AfPacketPort}), epoll readiness ({@link io.berth.tap.EpollPoller}) and network-namespace switching
 * ({@link io.berth.tap.NetNamespace}), over a thin jnr-ffi libc binding ({@link io.berth.tap.LibC},
 * {@link io.berth.tap.Natives}, {@link io.berth.tap.Errors}).
 * <p>
 * Hot calls take raw off-heap addresses and return {@code -errno}, so the packet path neither allocates nor throws;
 * control calls throw an {@link java.io.IOException} naming the call, the errno and the device or path. Constants
 * mirror linux/if_tun.h, linux/if_packet.h, linux/sockios.h, sys/socket.h, fcntl.h, sys/epoll.h and sched.h for x86_64.
 */
package io.berth.tap;
