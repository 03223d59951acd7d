/**
 * JMH benchmarks and timed runs of the packet path, the tables and the TAP system calls (docs/performance.md says
 * which figure comes from which).
 */
package io.berth.benchmarks;
