/**
 * AF_XDP ports: an XDP program on a veth end redirects every frame into an AF_XDP socket whose rings berthd reads
 * and writes in batches ({@link io.berth.tap.xdp.XdpRedirect}, {@link io.berth.tap.xdp.XskSocket},
 * {@link io.berth.tap.xdp.XdpPort}). Raw syscalls (bpf, mmap, sendto) through jnr; x86_64 layouts.
 */
package io.berth.tap.xdp;
