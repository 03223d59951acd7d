package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code berth cni install|uninstall}: puts berth's CNI plugin where a container runtime looks for plugins, with a
 * conflist that attaches to one berth network. Runs in the user's own process (files on their side).
 */
@Command(name = "cni", description = "Install or uninstall berth's CNI plugin (for podman and other CNI runtimes).",
    subcommands = {CniCommands.Install.class, CniCommands.Uninstall.class})
final class CniCommands implements Runnable
{
    static final String DEFAULT_BIN_DIR = "/opt/cni/bin";
    static final String DEFAULT_CONF_DIR = "/etc/cni/net.d";
    /** In the plugin launcher's second line: how uninstall knows the file is berth's. */
    static final String MARKER = "# berth CNI plugin";
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    @ParentCommand
    BerthCli root;

    @Spec
    CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "install", description = "Install the plugin as BIN-DIR/berth and write CONF-DIR/NAME.conflist " +
        "for network NET.")
    static final class Install implements Runnable
    {
        @ParentCommand
        CniCommands parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--network", required = true, paramLabel = "NET", description = "the berth network " +
            "containers of this conflist join")
        String network;

        @Option(names = "--bin-dir", paramLabel = "DIR", description = "the runtime's CNI plugin dir (default: " +
            DEFAULT_BIN_DIR + ")")
        Path binDir = Path.of(DEFAULT_BIN_DIR);

        @Option(names = "--conf-dir", paramLabel = "DIR", description = "the runtime's CNI config dir (default: " +
            DEFAULT_CONF_DIR + ")")
        Path confDir = Path.of(DEFAULT_CONF_DIR);

        @Option(names = "--name", paramLabel = "NAME", description = "the CNI network's name, as podman " +
            "--network takes it (default: NET)")
        String name;

        @Override
        public void run()
        {
            final String cniName = name == null ? network : name;
            checkName(cniName);
            // the network must exist, and berthd answer: a conflist for nothing would fail every container start
            final ObjectNode request = BerthCli.request("network.inspect");
            request.putArray("names").add(network);
            final JsonNode found = parent.root.api().call(request);
            final String networkName = found.path(0).path("Name").asText(network);
            final Path socket = parent.root.socketPath().toAbsolutePath();
            final Path plugin = binDir.resolve("berth");
            final Path conflist = confDir.resolve(cniName + ".conflist");
            try
            {
                if (Files.exists(plugin) && !isBerths(plugin))
                {
                    throw new BerthException(plugin + " exists and is not berth's plugin; remove it or give " +
                        "another --bin-dir");
                }
                Files.createDirectories(binDir);
                Files.createDirectories(confDir);
                writeAtomically(plugin, launcher(), true);
                writeAtomically(conflist, conflist(cniName, networkName, socket), false);
            }
            catch (final IOException ex)
            {
                throw new BerthException("cannot install the CNI plugin: " + ex, ex);
            }
            spec.commandLine().getOut().println(plugin);
            spec.commandLine().getOut().println(conflist);
            spec.commandLine().getOut().flush();
        }
    }

    @Command(name = "uninstall", description = "Remove CONF-DIR/NAME.conflist, and BIN-DIR/berth when no other " +
        "berth conflist is left there.")
    static final class Uninstall implements Runnable
    {
        @Spec
        CommandSpec spec;

        @Option(names = "--network", paramLabel = "NET", description = "the network given to install (its " +
            "conflist's name unless --name)")
        String network;

        @Option(names = "--name", paramLabel = "NAME", description = "the conflist's name given to install")
        String name;

        @Option(names = "--bin-dir", paramLabel = "DIR", description = "default: " + DEFAULT_BIN_DIR)
        Path binDir = Path.of(DEFAULT_BIN_DIR);

        @Option(names = "--conf-dir", paramLabel = "DIR", description = "default: " + DEFAULT_CONF_DIR)
        Path confDir = Path.of(DEFAULT_CONF_DIR);

        @Override
        public void run()
        {
            final String cniName = name != null ? name : network;
            if (cniName == null)
            {
                throw new BerthException("say which conflist to remove: --network NET or --name NAME");
            }
            checkName(cniName);
            final Path conflist = confDir.resolve(cniName + ".conflist");
            final Path plugin = binDir.resolve("berth");
            try
            {
                if (!Files.exists(conflist))
                {
                    throw new BerthException("no CNI config " + conflist + " to remove (installed with another " +
                        "--name or --conf-dir?)");
                }
                if (!Json.WIRE.readTree(conflist.toFile()).path("plugins").path(0).path("type").asText().equals("berth"))
                {
                    throw new BerthException(conflist + " is not a berth conflist; left alone");
                }
                Files.delete(conflist);
                spec.commandLine().getOut().println(conflist);
                if (Files.exists(plugin) && isBerths(plugin) && !otherBerthConflists(confDir))
                {
                    Files.delete(plugin);
                    spec.commandLine().getOut().println(plugin);
                }
            }
            catch (final IOException ex)
            {
                throw new BerthException("cannot uninstall the CNI plugin: " + ex, ex);
            }
            spec.commandLine().getOut().flush();
        }
    }

    private static void checkName(final String name)
    {
        if (!NAME.matcher(name).matches())
        {
            throw new BerthException("invalid CNI network name " + name + ": letters, digits, _ . and -, starting " +
                "with a letter or digit");
        }
    }

    private static boolean isBerths(final Path plugin) throws IOException
    {
        final byte[] head = new byte[256];
        try (InputStream in = Files.newInputStream(plugin))
        {
            final int n = in.readNBytes(head, 0, head.length);
            return new String(head, 0, n, StandardCharsets.ISO_8859_1).contains(MARKER);
        }
    }

    private static boolean otherBerthConflists(final Path confDir) throws IOException
    {
        try (Stream<Path> files = Files.list(confDir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (file.getFileName().toString().endsWith(".conflist"))
                {
                    try
                    {
                        if (Json.WIRE.readTree(file.toFile()).path("plugins").path(0).path("type").asText()
                            .equals("berth"))
                        {
                            return true;
                        }
                    }
                    catch (final IOException unreadable)
                    {
                        // not ours to judge
                    }
                }
            }
        }
        return false;
    }

    /**
     * The plugin: a launcher of the thin client in this installation, with the build's class-data archive. The
     * JVM's own logging is off so that nothing but the result reaches stdout.
     */
    static String launcher()
    {
        final Path fatJar = jarOfThisCli();
        final Path dir = fatJar.getParent();
        final Path clientJar = dir.resolve("berth-client.jar");
        final Path archive = dir.resolve("berth-client.jsa");
        final String java = ProcessHandle.current().info().command().orElse("java");
        return "#!/bin/sh\n" + MARKER + " (berth cni install): hands each call to berthd, which does the work\n" +
            "exec " + shellQuote(java) + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto " +
            "-Xlog:disable " +
            "-Xlog:all=off -XX:SharedArchiveFile=" + shellQuote(archive.toString()) + " -cp " +
            shellQuote(clientJar.toString()) + " io.berth.control.client.CniPlugin \"$@\"\n";
    }

    static String conflist(final String name, final String network, final Path socket)
    {
        final ObjectNode list = Json.WIRE.createObjectNode();
        list.put("cniVersion", "0.4.0");
        list.put("name", name);
        final ObjectNode plugin = list.putArray("plugins").addObject();
        plugin.put("type", "berth");
        plugin.put("socket", socket.toString());
        plugin.put("network", network);
        // ips too: podman 4 replaces the whole capabilities map by {"ips": true} when --ip is given to a plugin
        // without it, which would lose the port mappings and aliases
        plugin.putObject("capabilities").put("portMappings", true).put("aliases", true).put("ips", true);
        try
        {
            return Json.PRETTY.writeValueAsString(list) + "\n";
        }
        catch (final IOException ex)
        {
            throw new BerthException("cannot write the conflist: " + ex, ex);
        }
    }

    private static Path jarOfThisCli()
    {
        try
        {
            return Path.of(CniCommands.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new BerthException("cannot find berth's jar: " + ex, ex);
        }
    }

    private static void writeAtomically(final Path file, final String content, final boolean executable)
        throws IOException
    {
        final Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        if (executable)
        {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
    }

    private static String shellQuote(final String text)
    {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
