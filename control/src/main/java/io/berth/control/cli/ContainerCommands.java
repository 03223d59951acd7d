package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.error.BerthException;
import io.berth.control.sandbox.Executables;
import io.berth.control.wire.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code berth run}, {@code exec}, {@code ps}, {@code inspect}, {@code logs}, {@code rm}. CLI main thread only. */
final class ContainerCommands
{
    private ContainerCommands()
    {
    }

    @Command(name = "run", description = "Create a container (a sandbox namespace with eth0 on a network) and " +
        "start CMD in it, detached; prints its id.")
    static final class Run implements Runnable
    {
        @ParentCommand
        BerthCli root;

        @Spec
        CommandSpec spec;

        @Option(names = {"-d", "--detach"}, description = "accepted for Docker compatibility: always detached")
        boolean detach;

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "container and namespace " +
            "name")
        String name;

        @Option(names = {"--network", "--net"}, paramLabel = "NET", description = "NETWORK, host, none or " +
            "container:NAME (default: bridge)")
        String network;

        @Option(names = "--ip", paramLabel = "IP", description = "pin the address (user-defined networks only)")
        String ip;

        @Option(names = "--ip6", paramLabel = "IPV6", description = "pin the IPv6 address on a dual-stack network " +
            "(its host part pins the IPv4 one too)")
        String ip6;

        @Option(names = {"-p", "--publish"}, paramLabel = "SPEC", description = "publish a port: " +
            "[HOSTIP:]HOSTPORT[-END]:CPORT[-END][/tcp|/udp]; HOSTIP 0.0.0.0 (default: the uplink address and " +
            "127.0.0.1), 127.0.0.1 (this host only) or the uplink address; repeatable")
        List<String> publish = new ArrayList<>();

        @Option(names = {"--network-alias", "--alias"}, paramLabel = "ALIAS", description = "another DNS name of " +
            "the container on its network (user-defined networks); repeatable")
        List<String> aliases = new ArrayList<>();

        @Option(names = "--link", paramLabel = "OTHER[:ALIAS]", description = "let this container reach OTHER as " +
            "ALIAS (by DNS on user-defined networks, through /etc/hosts on the default bridge); repeatable")
        List<String> links = new ArrayList<>();

        @Option(names = "--dns", paramLabel = "IP", description = "a nameserver for this container: on user-defined " +
            "networks the embedded DNS forwards to it, on the default bridge it is written to resolv.conf; repeatable")
        List<String> dns = new ArrayList<>();

        @Option(names = "--dns-search", paramLabel = "DOMAIN", description = "a search domain; repeatable")
        List<String> dnsSearch = new ArrayList<>();

        @Option(names = "--dns-option", paramLabel = "OPTION", description = "a resolv.conf option; repeatable")
        List<String> dnsOptions = new ArrayList<>();

        @Option(names = "--hostname", paramLabel = "NAME", description = "the container's host name (default: its " +
            "name, or its short id when the name is no valid host name), in its /etc/hosts too")
        String hostname;

        @Parameters(paramLabel = "CMD", arity = "0..*", description = "command and arguments, after --")
        List<String> command = new ArrayList<>();

        @Override
        public void run()
        {
            final ObjectNode request = BerthCli.request("container.run").put("name", name);
            aliases.forEach(request.withArray("aliases")::add);
            links.forEach(request.withArray("links")::add);
            dns.forEach(request.withArray("dns")::add);
            dnsSearch.forEach(request.withArray("dnsSearch")::add);
            dnsOptions.forEach(request.withArray("dnsOptions")::add);
            NetworkCommands.putIfSet(request, "network", network);
            NetworkCommands.putIfSet(request, "ip", ip);
            NetworkCommands.putIfSet(request, "ip6", ip6);
            NetworkCommands.putIfSet(request, "hostname", hostname);
            final List<String> cmd = !command.isEmpty() && command.get(0).equals("--") ? command.subList(1,
                command.size()) : command;
            cmd.forEach(request.putArray("cmd")::add);
            if (!publish.isEmpty())
            {
                publish.forEach(request.putArray("publish")::add);
            }
            final JsonNode result = root.api().call(request);
            spec.commandLine().getOut().println(result.path("Id").asText());
            spec.commandLine().getOut().flush();
        }
    }

    @Command(name = "port", description = "List a container's published ports: CPORT/PROTO -> HOSTIP:HOSTPORT.")
    static final class Port implements Runnable
    {
        @ParentCommand
        BerthCli root;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "CPORT[/PROTO]", description = "only this " +
            "container port (tcp unless /udp is given)")
        String only;

        @Override
        public void run()
        {
            final JsonNode rows = root.api().call(BerthCli.request("container.port").put("name", name));
            String wanted = null;
            if (only != null)
            {
                wanted = only.contains("/") ? only : only + "/tcp";
            }
            final PrintWriter out = spec.commandLine().getOut();
            boolean any = false;
            for (final JsonNode row : rows)
            {
                final String key = row.path("ContainerPort").asInt() + "/" + row.path("Protocol").asText();
                if (wanted == null)
                {
                    out.println(key + " -> " + row.path("HostIp").asText() + ":" + row.path("HostPort").asInt());
                    any = true;
                }
                else if (wanted.equals(key))
                {
                    out.println(row.path("HostIp").asText() + ":" + row.path("HostPort").asInt());
                    any = true;
                }
            }
            out.flush();
            if (wanted != null && !any)
            {
                throw new BerthException("no public port '" + wanted + "' published for " + name);
            }
        }
    }

    @Command(name = "exec", description = "Run CMD in a container's network namespace; exits with its exit code.")
    static final class Exec implements Callable<Integer>
    {
        @ParentCommand
        BerthCli root;

        @Option(names = {"-i", "--interactive"}, description = "accepted: stdin is always passed on")
        boolean interactive;

        @Option(names = {"-t", "--tty"}, description = "accepted: the terminal is always passed on")
        boolean tty;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1..*", paramLabel = "CMD", arity = "1..*", description = "command and arguments")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call() throws IOException, InterruptedException
        {
            final JsonNode where = root.api().call(BerthCli.request("container.netns").put("name", name));
            final List<String> full = new ArrayList<>();
            if (where.path("Namespace").isNull() || where.path("Namespace").isMissingNode())
            {
                full.addAll(List.of("nsenter", "--net=/proc/" + where.path("BerthdPid").asLong() + "/ns/net", "--"));
            }
            else
            {
                full.addAll(List.of("ip", "netns", "exec", where.path("Namespace").asText()));
            }
            // after NAME, picocli passes everything on as the command, a separating "--" included
            final List<String> cmd = !command.isEmpty() && command.get(0).equals("--") ? command.subList(1,
                command.size()) : command;
            if (cmd.isEmpty())
            {
                throw new BerthException("give a command to run: berth exec " + name + " -- CMD");
            }
            final int unrunnable = unrunnable(cmd.get(0));
            if (unrunnable != 0)
            {
                final PrintWriter err = root.spec.commandLine().getErr();
                err.println("Error: " + cmd.get(0) + (unrunnable == NOT_FOUND ? ": no such file or directory (nor a " +
                    "command on PATH)" : ": permission denied (not executable)"));
                err.flush();
                return unrunnable;
            }
            full.addAll(cmd);
            return root.runner().run(full);
        }
    }

    /** Docker's exit codes for a command that cannot run: not found, not executable. */
    static final int NOT_FOUND = 127;
    static final int NOT_EXECUTABLE = 126;

    /** 0 when {@code command} can be executed, else the exit code Docker gives. */
    static int unrunnable(final String command)
    {
        return switch (Executables.find(command))
        {
            case FOUND -> 0;
            case NOT_FOUND -> NOT_FOUND;
            case NOT_EXECUTABLE -> NOT_EXECUTABLE;
        };
    }

    @Command(name = "ps", description = "List containers.")
    static final class Ps implements Runnable
    {
        @ParentCommand
        BerthCli root;

        @Spec
        CommandSpec spec;

        @Option(names = {"-a", "--all"}, description = "accepted: all containers are always listed")
        boolean all;

        @Option(names = {"-q", "--quiet"}, description = "only ids")
        boolean quiet;

        @Override
        public void run()
        {
            final JsonNode rows = root.api().call(BerthCli.request("container.ls"));
            if (quiet)
            {
                rows.forEach(row -> spec.commandLine().getOut().println(BerthCli.shortId(row.path("Id"))));
                spec.commandLine().getOut().flush();
                return;
            }
            final Table table = new Table("CONTAINER ID", "NAME", "NETWORK", "IP", "STATUS");
            rows.forEach(row -> table.row(BerthCli.shortId(row.path("Id")), row.path("Name").asText(),
                join(row.path("Networks")), join(row.path("IPs")), row.path("Status").asText()));
            table.print(spec.commandLine().getOut());
        }

        private static String join(final JsonNode array)
        {
            final List<String> items = new ArrayList<>();
            array.forEach(item -> items.add(item.asText()));
            return String.join(",", items);
        }
    }

    @Command(name = "inspect", description = "Show containers as JSON (an array, like docker inspect).")
    static final class Inspect implements Runnable
    {
        @ParentCommand
        BerthCli root;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", arity = "1..*")
        List<String> names;

        /** What exists is printed; each name that does not is reported, and the exit code is then 1 (as Docker). */
        @Override
        public void run()
        {
            final ArrayNode found = Json.WIRE.createArrayNode();
            final List<String> missing = new ArrayList<>();
            for (final String name : names)
            {
                final ObjectNode request = BerthCli.request("container.inspect");
                request.putArray("names").add(name);
                try
                {
                    root.api().call(request).forEach(found::add);
                }
                catch (final BerthException ex)
                {
                    missing.add(ex.getMessage());
                }
            }
            NetworkCommands.printPretty(spec, found);
            if (!missing.isEmpty())
            {
                throw new BerthException(String.join("; ", missing));
            }
        }
    }

    @Command(name = "logs", description = "Print what a container's command wrote (stdout and stderr).")
    static final class Logs implements Runnable
    {
        @ParentCommand
        BerthCli root;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public void run()
        {
            final JsonNode result = root.api().call(BerthCli.request("container.logs").put("name", name));
            spec.commandLine().getOut().print(result.path("Log").asText());
            spec.commandLine().getOut().flush();
        }
    }

    @Command(name = "rm", description = "Remove containers: their processes, ports, namespace and addresses.")
    static final class Rm implements Callable<Integer>
    {
        @ParentCommand
        BerthCli root;

        @Spec
        CommandSpec spec;

        @Option(names = {"-f", "--force"}, description = "kill a running container first")
        boolean force;

        @Parameters(paramLabel = "NAME", arity = "1..*")
        List<String> names;

        @Override
        public Integer call()
        {
            return NetworkCommands.forEachName(spec, names, name ->
                root.api().call(BerthCli.request("container.rm").put("name", name).put("force", force)));
        }
    }

}
