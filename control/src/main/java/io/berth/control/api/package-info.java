/**
 * berthd's API: newline-delimited JSON over a unix-domain socket. A request is one line
 * {@code {"op":"network.create", ...}}, its answer one line {@code {"ok":true,"result":...}} or
 * {@code {"ok":false,"error":"message"}}. {@link io.berth.control.api.ApiServer} accepts connections,
 * {@link io.berth.control.api.RequestHandler} executes requests on the single control thread,
 * {@link io.berth.control.api.Views} gives the Docker-like JSON shapes, {@link io.berth.control.api.ApiClient} is
 * what the CLI uses.
 */
package io.berth.control.api;
