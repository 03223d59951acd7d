package io.berth.control.model;

import java.util.List;

/**
 * A container's main process.
 *
 * @param pid       its pid, also its process group and session (started with setsid).
 * @param startTime field 22 of /proc/PID/stat, so a reused pid is not mistaken for it.
 * @param cmd       the command line.
 * @param log       the file its stdout and stderr go to.
 */
public record ProcessRecord(long pid, long startTime, List<String> cmd, String log)
{
}
