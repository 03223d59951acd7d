/**
 * berth as Docker's network and IPAM driver plugin: libnetwork's remote driver API (JSON over HTTP/1.1 on a
 * unix socket under /run/docker/plugins/) served by berthd, each call executed on the control thread by
 * {@link io.berth.control.state.DockerController}. Docker's names and shapes stay here; the state package sees
 * plain ids, addresses and berth's port syntax.
 */
package io.berth.control.docker;
