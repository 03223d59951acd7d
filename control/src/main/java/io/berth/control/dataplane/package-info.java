/**
 * The control plane's side of the dataplane: the production packet path built by name, the worker and its ports,
 * and the typed calls the controllers make into it.
 */
package io.berth.control.dataplane;
