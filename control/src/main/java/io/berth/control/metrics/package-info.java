/**
 * {@code berthd --metrics-addr}: the counters {@code berth counters} shows, served as Prometheus metrics through the
 * Prometheus Java client, plus the client's JVM metrics.
 */
package io.berth.control.metrics;
