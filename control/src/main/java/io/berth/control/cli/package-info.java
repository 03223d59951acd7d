/**
 * The {@code berth} command line (picocli): Docker-like {@code network}, {@code run}, {@code exec}, {@code ps},
 * {@code inspect}, {@code logs}, {@code rm} and {@code counters} commands. Each turns its arguments into one API
 * request to berthd and prints the answer; {@code exec} then runs the command itself in the container's namespace.
 * Runs on the CLI's main thread only.
 */
package io.berth.control.cli;
