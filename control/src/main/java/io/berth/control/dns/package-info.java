/**
 * Embedded DNS (Docker's 127.0.0.11): the names a container may see ({@link io.berth.control.dns.SandboxNames},
 * rebuilt on the control thread at every join and leave), the pure answering logic
 * ({@link io.berth.control.dns.DnsResolver}), the sockets inside each sandbox served from one selector thread
 * with forwarding to upstreams ({@link io.berth.control.dns.DnsServer}), and the endpoint service that ties them
 * to berth's state and writes each sandbox's resolv.conf and hosts ({@link io.berth.control.dns.EmbeddedDns}).
 */
package io.berth.control.dns;
