/**
 * berth as a CNI plugin: the plugin executable is the thin client {@link io.berth.control.client.CniPlugin}, and
 * berthd serves its calls here ({@link io.berth.control.cni.CniService}), so podman's containers get their
 * interfaces, addresses, names and published ports from the same control service as berth's own.
 */
package io.berth.control.cni;
