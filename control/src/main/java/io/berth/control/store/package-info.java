/**
 * {@link io.berth.control.store.Stores}: the store of each scope (the local journal; a global store such as etcd,
 * in {@code store.etcd}). The SPI they implement is {@link io.berth.control.event.Store}. Control thread.
 */
package io.berth.control.store;
