package io.berth.control.cli;

import java.io.IOException;
import java.util.List;

/** Runs a command with the terminal's stdin, stdout and stderr and returns its exit code (faked in tests). */
@FunctionalInterface
public interface ProcessRunner
{
    int run(List<String> command) throws IOException, InterruptedException;

    /** The real one: inherits the CLI's standard streams. */
    static ProcessRunner inheritingIo()
    {
        return command -> new ProcessBuilder(command).inheritIO().start().waitFor();
    }
}
