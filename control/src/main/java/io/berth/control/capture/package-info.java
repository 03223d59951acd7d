/**
 * {@code berth capture}: sessions that read copies of packets at a graph stage ({@link
 * io.berth.control.capture.Captures}), the BPF-like filter ({@link io.berth.control.capture.CaptureFilter}) and
 * the pcapng writer the CLI uses ({@link io.berth.control.capture.PcapngWriter}).
 */
package io.berth.control.capture;
