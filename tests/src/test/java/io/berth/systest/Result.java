package io.berth.systest;

import java.util.List;

/** What a finished command left behind: its exit code and both outputs. Exit -1 means it timed out. */
public record Result(List<String> command, int exit, String out, String err)
{
    public boolean ok()
    {
        return exit == 0;
    }

    /** stdout and stderr together, for messages that may go to either. */
    public String output()
    {
        return out + err;
    }

    @Override
    public String toString()
    {
        return "$ " + String.join(" ", command) + "\n[exit " + exit + "]\n--- stdout ---\n" + out +
            "\n--- stderr ---\n" + err;
    }
}
