package io.berth.control.state;

/** How a container gets its network namespace ({@code --network}). */
public enum NetworkMode
{
    /** Its own namespace with an interface on each connected network. */
    NETWORK("network"),
    /** Its own namespace with only lo. */
    NONE("none"),
    /** No namespace of its own: berthd's. */
    HOST("host"),
    /** Another container's namespace. */
    CONTAINER("container");

    private final String journalName;

    NetworkMode(final String journalName)
    {
        this.journalName = journalName;
    }

    public String journalName()
    {
        return journalName;
    }

    /** Whether the container has a namespace of its own (named after it). */
    public boolean ownsSandbox()
    {
        return this == NETWORK || this == NONE;
    }

    public static NetworkMode fromJournal(final String name)
    {
        for (final NetworkMode mode : values())
        {
            if (mode.journalName.equals(name))
            {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown network mode in journal: " + name);
    }
}
