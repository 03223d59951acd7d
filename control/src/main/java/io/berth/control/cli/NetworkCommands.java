package io.berth.control.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/** {@code berth network ...}: create, ls, inspect, rm, connect, disconnect. Runs on the CLI's main thread. */
@Command(name = "network", description = "Manage networks.",
    subcommands = {NetworkCommands.Create.class, NetworkCommands.Ls.class, NetworkCommands.InspectNetwork.class,
        NetworkCommands.RmNetwork.class, NetworkCommands.Connect.class, NetworkCommands.Disconnect.class})
final class NetworkCommands implements Runnable
{
    @ParentCommand
    BerthCli root;

    @Spec
    CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", description = "Create a network; prints its id.")
    static final class Create implements Runnable
    {
        @ParentCommand
        NetworkCommands parent;

        @Spec
        CommandSpec spec;

        @Option(names = {"-d", "--driver"}, paramLabel = "DRIVER", description = "bridge (default), overlay (global: needs berthd --store and --uplink), macvlan or ipvlan")
        String driver = "bridge";

        @Option(names = "--subnet", paramLabel = "CIDR", description = "e.g. 192.168.100.0/24 (default: the " +
            "first free of 172.18.0.0/16 .. 172.31.0.0/16, 192.168.0.0/20 ..); repeatable for ipvlan_mode=l3")
        List<String> subnets = new ArrayList<>();

        @Option(names = "--ip-range", paramLabel = "CIDR", description = "allocate container addresses from this " +
            "part of the subnet")
        String ipRange;

        @Option(names = "--gateway", paramLabel = "IP", description = "default: the subnet's first address; " +
            "repeatable, one per --subnet in order")
        List<String> gateways = new ArrayList<>();

        @Option(names = "--internal", description = "no outside access")
        boolean internal;

        @Option(names = "--ipv6", description = "dual-stack: an IPv6 subnet too (an IPv6 --subnet, else a /64 of " +
            "fd00:ba::/48); containers get its prefix with their IPv4 host part")
        boolean ipv6;

        @Option(names = "--ipv4", arity = "1", paramLabel = "true|false", description = "false: an IPv6-only " +
            "network (with --ipv6): containers get no IPv4 address (default: true)")
        boolean ipv4 = true;

        @Option(names = {"-o", "--opt"}, paramLabel = "KEY=VALUE", description = "icc=true|false, mtu=N")
        List<String> options = new ArrayList<>();

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public void run()
        {
            final ObjectNode request = BerthCli.request("network.create").put("name", name).put("driver", driver)
                .put("internal", internal);
            // as Docker: --subnet and --gateway repeat, one IPv4 and one IPv6 (told apart by their colons)
            final List<String> subnets6 = subnets.stream().filter(t -> t.contains(":")).toList();
            final List<String> gateways6 = gateways.stream().filter(t -> t.contains(":")).toList();
            subnets = new ArrayList<>(subnets.stream().filter(t -> !t.contains(":")).toList());
            gateways = new ArrayList<>(gateways.stream().filter(t -> !t.contains(":")).toList());
            if (subnets6.size() > 1 || gateways6.size() > 1)
            {
                throw new BerthException("give at most one IPv6 --subnet and one IPv6 --gateway, not " +
                    String.join(", ", subnets6.size() > 1 ? subnets6 : gateways6));
            }
            request.put("ipv6", ipv6 || !subnets6.isEmpty()).put("ipv4", ipv4);
            putIfSet(request, "subnet6", subnets6.isEmpty() ? null : subnets6.get(0));
            putIfSet(request, "gateway6", gateways6.isEmpty() ? null : gateways6.get(0));
            putIfSet(request, "subnet", subnets.isEmpty() ? null : subnets.get(0));
            if (subnets.size() > 1)
            {
                subnets.subList(1, subnets.size()).forEach(request.putArray("moreSubnets")::add);
            }
            putIfSet(request, "ipRange", ipRange);
            putIfSet(request, "gateway", gateways.isEmpty() ? null : gateways.get(0));
            if (gateways.size() > 1)
            {
                gateways.subList(1, gateways.size()).forEach(request.putArray("moreGateways")::add);
            }
            options.forEach(request.putArray("options")::add);
            final JsonNode result = parent.root.api().call(request);
            spec.commandLine().getOut().println(result.path("Id").asText());
            spec.commandLine().getOut().flush();
        }
    }

    @Command(name = "ls", aliases = "list", description = "List networks.")
    static final class Ls implements Runnable
    {
        @ParentCommand
        NetworkCommands parent;

        @Spec
        CommandSpec spec;

        @Option(names = {"-q", "--quiet"}, description = "only ids")
        boolean quiet;

        @Override
        public void run()
        {
            final JsonNode rows = parent.root.api().call(BerthCli.request("network.ls"));
            if (quiet)
            {
                rows.forEach(row -> spec.commandLine().getOut().println(BerthCli.shortId(row.path("Id"))));
                spec.commandLine().getOut().flush();
                return;
            }
            final Table table = new Table("NETWORK ID", "NAME", "DRIVER", "SCOPE");
            rows.forEach(row -> table.row(BerthCli.shortId(row.path("Id")), row.path("Name").asText(),
                row.path("Driver").asText(), row.path("Scope").asText()));
            table.print(spec.commandLine().getOut());
        }
    }

    @Command(name = "inspect", description = "Show networks as JSON.")
    static final class InspectNetwork implements Runnable
    {
        @ParentCommand
        NetworkCommands parent;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", arity = "1..*")
        List<String> names;

        @Override
        public void run()
        {
            final ObjectNode request = BerthCli.request("network.inspect");
            names.forEach(request.putArray("names")::add);
            printPretty(spec, parent.root.api().call(request));
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove networks.")
    static final class RmNetwork implements Callable<Integer>
    {
        @ParentCommand
        NetworkCommands parent;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", arity = "1..*")
        List<String> names;

        @Override
        public Integer call()
        {
            return forEachName(spec, names, name ->
                parent.root.api().call(BerthCli.request("network.rm").put("name", name)));
        }
    }

    @Command(name = "connect", description = "Connect a container to a network (a new interface, eth1 ..).")
    static final class Connect implements Runnable
    {
        @ParentCommand
        NetworkCommands parent;

        @Option(names = "--ip", paramLabel = "IP", description = "pin the address")
        String ip;

        @Option(names = "--ip6", paramLabel = "IPV6", description = "pin the IPv6 address on a dual-stack network")
        String ip6;

        @Option(names = "--alias", paramLabel = "ALIAS", description = "another DNS name of the container on this " +
            "network; repeatable")
        List<String> aliases = new ArrayList<>();

        @Parameters(index = "0", paramLabel = "NETWORK")
        String network;

        @Parameters(index = "1", paramLabel = "CONTAINER")
        String container;

        @Override
        public void run()
        {
            final ObjectNode request = BerthCli.request("network.connect").put("network", network)
                .put("container", container);
            putIfSet(request, "ip", ip);
            putIfSet(request, "ip6", ip6);
            aliases.forEach(request.withArray("aliases")::add);
            parent.root.api().call(request);
        }
    }

    @Command(name = "disconnect", description = "Disconnect a container from a network.")
    static final class Disconnect implements Runnable
    {
        @ParentCommand
        NetworkCommands parent;

        @Parameters(index = "0", paramLabel = "NETWORK")
        String network;

        @Parameters(index = "1", paramLabel = "CONTAINER")
        String container;

        @Override
        public void run()
        {
            parent.root.api().call(BerthCli.request("network.disconnect").put("network", network)
                .put("container", container));
        }
    }

    static void putIfSet(final ObjectNode request, final String field, final String value)
    {
        if (value != null)
        {
            request.put(field, value);
        }
    }

    static void printPretty(final CommandSpec spec, final JsonNode value)
    {
        try
        {
            spec.commandLine().getOut().println(Json.PRETTY.writeValueAsString(value));
            spec.commandLine().getOut().flush();
        }
        catch (final JsonProcessingException ex)
        {
            throw new BerthException("cannot print the answer: " + ex.getMessage(), ex);
        }
    }

    /** Runs one request per name like Docker: prints each name done, reports each failure, exit 1 if any failed. */
    static int forEachName(final CommandSpec spec, final List<String> names,
        final Consumer<String> action)
    {
        int exit = 0;
        for (final String name : names)
        {
            try
            {
                action.accept(name);
                spec.commandLine().getOut().println(name);
            }
            catch (final BerthException ex)
            {
                spec.commandLine().getErr().println("Error: " + ex.getMessage());
                exit = BerthCli.EXIT_FAILURE;
            }
        }
        spec.commandLine().getOut().flush();
        spec.commandLine().getErr().flush();
        return exit;
    }

    static ArrayNode array()
    {
        return Json.WIRE.createArrayNode();
    }
}
