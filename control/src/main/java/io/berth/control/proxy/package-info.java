/**
 * The userland proxy (docker-proxy's job): the host's own traffic to 127.0.0.1:HOSTPORT reaches a published
 * container port through berthd, which relays it over the berth0 host link. One selector thread for all forwards.
 */
package io.berth.control.proxy;
