package io.berth.control.sandbox;

import io.berth.control.model.ProcessRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** What the control plane does to namespaces and processes; faked in unit tests. Called from the control thread. */
public interface Sandboxes
{
    /**
     * The pid of the CLI whose request is being served (0: none, e.g. while restoring): namespaces are bound in
     * its mount namespace so that the user's {@code ip netns exec NAME} finds them.
     */
    default void caller(final long pid)
    {
    }

    /** Whether the named network namespace exists (/run/netns/NAME is a live namespace). */
    boolean exists(String netns);

    /** Creates the named namespace with lo up. */
    void create(String netns) throws IOException;

    /** Deletes the named namespace; a no-op when it is gone. */
    void delete(String netns) throws IOException;

    /** Throws when {@code command} names no executable file (on berthd's PATH when it has no slash). */
    void checkExecutable(String command);

    /**
     * Starts {@code cmd} detached (own session) inside {@code netns}, or in berthd's own namespace when null, with
     * stdin from /dev/null and stdout and stderr appended to {@code log}.
     */
    ProcessRecord start(String netns, List<String> cmd, Path log) throws IOException;

    /**
     * Like {@link #start(String, List, Path)}, in a UTS namespace of its own whose host name is {@code hostname}
     * (null: the host's, shared), as Docker gives every container.
     */
    default ProcessRecord start(final String netns, final String hostname, final List<String> cmd, final Path log)
        throws IOException
    {
        return start(netns, cmd, log);
    }

    /** Whether the recorded process still runs (same pid and start time, not a zombie). */
    boolean isAlive(ProcessRecord process);

    /** SIGKILLs every process in the namespace and waits until none is left (bounded). */
    void killAllIn(String netns);

    /** SIGKILLs the process group (session) of the recorded process, if it still runs. */
    void killGroup(ProcessRecord process);
}
