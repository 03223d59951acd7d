/**
 * The thin clients: {@code berth} and the CNI plugin as a JVM that loads only java.base. They hand their arguments
 * (or the CNI environment and config) to berthd, which runs the real command and streams its output back, so a
 * command costs a JVM start-up and one round trip, not the loading of picocli and Jackson. Nothing here may import
 * another berth package or a library: the class-data archive made at build time covers exactly these classes.
 */
package io.berth.control.client;
