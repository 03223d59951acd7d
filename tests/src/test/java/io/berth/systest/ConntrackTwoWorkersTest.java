package io.berth.systest;

import java.util.ArrayList;
import java.util.List;

/**
 * Every conntrack test again with {@code berthd --workers 2}: the containers of its tests are dealt out to the
 * owner worker and the port worker in turn, and a connection's table entry (on the owner) must be found from
 * both directions whichever worker read its packets.
 */
class ConntrackTwoWorkersTest extends ConntrackTest
{
    @Override
    protected List<String> moreBerthdArgs()
    {
        final List<String> args = new ArrayList<>(super.moreBerthdArgs());
        args.addAll(List.of("--workers", "2"));
        return args;
    }
}
