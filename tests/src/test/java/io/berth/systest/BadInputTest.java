package io.berth.systest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bad input: each command must exit non-zero, say which value is wrong, and change nothing (network ls,
 * network inspect, ps and the kernel's namespaces identical before and after).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest
{
    private BerthHost host;
    private String c1;
    private State before;

    @BeforeAll
    void setUp()
    {
        host = BerthHost.start();
        host.createNetwork("n0", "--subnet", "10.70.0.0/24");
        host.createNetwork("n1", "--subnet", "10.71.0.0/24", "--ip-range", "10.71.0.0/26");
        c1 = host.run("c1", "--network", "n0");
        before = state();
    }

    @AfterAll
    void tearDown()
    {
        if (host != null)
        {
            host.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> refusedWithoutChangingState()
    {
        final String c2 = host.name("c2");
        final List<DynamicTest> cases = new ArrayList<>();
        cases.add(bad("subnet prefix /33", List.of("10.0.0.0/33"), "network", "create", "--subnet", "10.0.0.0/33", "bad1"));
        cases.add(bad("subnet octet 300", List.of("300.1.2.0/24"), "network", "create", "--subnet", "300.1.2.0/24", "bad2"));
        cases.add(bad("subnet not a CIDR", List.of("10.80.0.0"), "network", "create", "--subnet", "10.80.0.0", "bad3"));
        cases.add(bad("gateway outside subnet", List.of("10.81.0.1"),
            "network", "create", "--subnet", "10.82.0.0/24", "--gateway", "10.81.0.1", "bad4"));
        cases.add(bad("malformed gateway", List.of("10.82.0.256"),
            "network", "create", "--subnet", "10.82.0.0/24", "--gateway", "10.82.0.256", "bad5"));
        cases.add(bad("ip-range outside subnet", List.of("10.83.1.0/26"),
            "network", "create", "--subnet", "10.83.0.0/24", "--ip-range", "10.83.1.0/26", "bad6"));
        cases.add(bad("subnet overlapping n0", List.of("10.70.0.0/16", "n0"),
            "network", "create", "--subnet", "10.70.0.0/16", "bad7"));
        cases.add(bad("subnet inside n0", List.of("10.70.0.128/25", "n0"),
            "network", "create", "--subnet", "10.70.0.128/25", "bad8"));
        cases.add(bad("subnet overlapping the default bridge", List.of("172.17.5.0/24", "bridge"),
            "network", "create", "--subnet", "172.17.5.0/24", "bad9"));
        cases.add(bad("duplicate network name", List.of("n0"), "network", "create", "--subnet", "10.84.0.0/24", "n0"));
        cases.add(bad("unknown driver", List.of("nosuchdriver"),
            "network", "create", "--driver", "nosuchdriver", "--subnet", "10.85.0.0/24", "bad10"));
        cases.add(bad("bad icc option", List.of("maybe"),
            "network", "create", "--subnet", "10.86.0.0/24", "-o", "icc=maybe", "bad1"));
        cases.add(bad("bad mtu option", List.of("abc"), "network", "create", "--subnet", "10.86.0.0/24", "-o", "mtu=abc", "bad2"));
        cases.add(bad("invalid network name", List.of("bad/name"), "network", "create", "--subnet", "10.87.0.0/24", "bad/name"));
        cases.add(bad("invalid container name", List.of("bad name"), "run", "-d", "--name", "bad name", "--network", "n0"));
        cases.add(bad("command that does not exist", List.of("/no/such/cmd"),
            "run", "-d", "--name", c2, "--network", "n0", "--", "/no/such/cmd"));
        cases.add(bad("duplicate container name", List.of(c1), "run", "-d", "--name", c1, "--network", "n0"));
        cases.add(bad("run on unknown network", List.of("nosuchnet"), "run", "-d", "--name", c2, "--network", "nosuchnet"));
        cases.add(bad("--ip outside the subnet", List.of("10.99.0.5"),
            "run", "-d", "--name", c2, "--network", "n0", "--ip", "10.99.0.5"));
        cases.add(bad("--ip outside the ip-range", List.of("10.71.0.200"),
            "run", "-d", "--name", c2, "--network", "n1", "--ip", "10.71.0.200"));
        cases.add(bad("malformed --ip", List.of("10.70.0.999"),
            "run", "-d", "--name", c2, "--network", "n0", "--ip", "10.70.0.999"));
        cases.add(bad("--ip already taken", List.of("10.70.0.2"),
            "run", "-d", "--name", c2, "--network", "n0", "--ip", "10.70.0.2"));
        cases.add(bad("container:unknown", List.of("nosuchctr"), "run", "-d", "--name", c2, "--network", "container:nosuchctr"));
        cases.add(bad("inspect unknown container", List.of("nosuchctr"), "inspect", "nosuchctr"));
        cases.add(bad("exec in unknown container", List.of("nosuchctr"), "exec", "nosuchctr", "--", "true"));
        cases.add(bad("logs of unknown container", List.of("nosuchctr"), "logs", "nosuchctr"));
        cases.add(bad("rm unknown container", List.of("nosuchctr"), "rm", "-f", "nosuchctr"));
        cases.add(bad("inspect unknown network", List.of("nosuchnet"), "network", "inspect", "nosuchnet"));
        cases.add(bad("rm unknown network", List.of("nosuchnet"), "network", "rm", "nosuchnet"));
        cases.add(bad("rm network with containers", List.of("n0"), "network", "rm", "n0"));
        cases.add(bad("connect unknown container", List.of("nosuchctr"), "network", "connect", "n1", "nosuchctr"));
        cases.add(bad("connect to unknown network", List.of("nosuchnet"), "network", "connect", "nosuchnet", c1));
        cases.add(bad("connect twice", List.of(c1, "n0"), "network", "connect", "n0", c1));
        cases.add(bad("connect with --ip outside", List.of("10.99.0.7"), "network", "connect", "--ip", "10.99.0.7", "n1", c1));
        cases.add(bad("disconnect what is not connected", List.of(c1), "network", "disconnect", "n1", c1));
        cases.add(bad("disconnect unknown container", List.of("nosuchctr"), "network", "disconnect", "n0", "nosuchctr"));
        return cases.stream();
    }

    /** A bad command: non-zero exit, one of MENTIONS in its output, and no state change. */
    private DynamicTest bad(String what, List<String> mentions, String... args)
    {
        return DynamicTest.dynamicTest(what + ": berth " + String.join(" ", args), () ->
        {
            final Result r = host.berth(args);
            // look-ups of what does not exist cannot change anything: spare the snapshot (suite time)
            final boolean readOnly = List.of("inspect", "exec", "logs").contains(args[0]) ||
                (args.length > 1 && "network".equals(args[0]) && "inspect".equals(args[1]));
            final State after = readOnly ? before : state();
            if (!before.equals(after))
            {
                restore(after); // first, so that one wrongly accepted command does not fail the cases after it
            }
            assertNotEquals(-1, r.exit(), () -> what + ": timed out\n" + r);
            assertNotEquals(0, r.exit(), () -> what + ": must fail\n" + r);
            assertTrue(mentions.stream().anyMatch(r.output()::contains),
                () -> what + ": the message must name " + String.join(" or ", mentions) + "\n" + r);
            assertFalse(r.output().contains("\tat ") || r.output().contains("Exception in thread"),
                () -> what + ": a message, not a stack trace\n" + r);
            if (!before.equals(after))
            {
                fail(what + ": state changed by a refused command\n" + r + "\nbefore:\n" + before + "\nafter:\n" + after);
            }
        });
    }

    /** Undoes what a wrongly accepted command made, so one failure does not cascade into the next cases. */
    private void restore(State after)
    {
        for (String c : after.containers())
        {
            if (!before.containers().contains(c))
            {
                host.berth("rm", "-f", c);
            }
        }
        for (int i = 1; i <= 10; i++)
        {
            host.berth("network", "rm", "bad" + i);
        }
    }

    private State state()
    {
        final String ls = host.berthOk("network", "ls").out();
        final String inspect = host.json("network", "inspect", "bridge", "n0", "n1").toString();
        final String ps = host.berthOk("ps").out();
        final List<String> names = Arrays.stream(ps.split("[\\s,\"]+"))
            .filter(t -> t.startsWith(host.prefix() + "-")).sorted().toList();
        final List<String> ns = BerthHost.namespaces().stream().filter(n -> n.startsWith(host.prefix())).sorted().toList();
        final List<String> c1Links = Net.ifnames(Net.addrs(c1));
        return new State(ls, inspect, ps, names, ns, c1Links);
    }

    record State(String networkLs, String networkInspect, String ps, List<String> containers, List<String> namespaces,
                 List<String> c1Interfaces)
    {
        @Override
        public String toString()
        {
            return "network ls:\n" + networkLs + "\nnetwork inspect: " + networkInspect + "\nps:\n" + ps + "\nps containers: " +
                containers + "\nnamespaces: " + namespaces + "\nc1 interfaces: " + c1Interfaces;
        }
    }
}
