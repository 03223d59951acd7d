package io.berth.dataplane;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one checker of who may import whom (architecture.md, and docs/design.md where berth departs from it), for
 * every module's main sources: it reads every import and every fully qualified {@code io.berth} name. Rules:
 * <ul>
 * <li>dataplane: the JDK and agrona only;</li>
 * <li>tap: dataplane, and jnr-ffi for syscalls; switch (l2, l3) and nat (conntrack, nat): dataplane only, never
 * each other; vxlan likewise, and BouncyCastle for WireGuard's handshake (BLAKE2s, X25519); conntrack never nat;</li>
 * <li>control (with Jackson, picocli, Chronicle, jetcd, dnsjava and the Prometheus client) wires them, but only its {@code dataplane}
 * package touches the packet-path modules (everyone else
 * goes through the Dataplane boundary and the typed proxies); a driver package never imports another driver's,
 * and the driver SPI package none of them; the controller ({@code control.state}) no driver implementation but
 * through {@code driver.Drivers}, the one list of them;</li>
 * <li>inside control (issue 25): the API is a front end, so only the front ends (api, cli, client, cni, metrics)
 * and the composition root import it; no package but the composition root imports the composition root
 * ({@code Berthd}); front ends reach the control plane through {@code ControlService} and its controllers,
 * never through {@code ControlCore}, {@code PortPublishing} or {@code Restore}; no package loop and no import
 * up a floor ({@link #controlHasNoPackageLoopAndNoImportUpAFloor}); controllers keep their fields private
 * ({@link #controllersKeepTheirStateToThemselves}).</li>
 * </ul>
 * Runs from dataplane's directory and reads the sibling modules. Test code only.
 */
class ModuleRulesTest
{
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("\\b(io\\.berth\\.[a-z0-9]+(?:\\.[a-z0-9]+)*)");
    private static final List<String> JDK = List.of("java.", "javax.", "jdk.", "com.sun.");

    /** Module directory -> allowed name prefixes besides the JDK. */
    private static final Map<String, List<String>> MODULES = new TreeMap<>(Map.of(
        "dataplane", List.of("org.agrona.", "io.berth.dataplane"),
        "tap", List.of("org.agrona.", "jnr.", "io.berth.dataplane", "io.berth.tap"),
        "switch", List.of("org.agrona.", "io.berth.dataplane", "io.berth.l2", "io.berth.l3"),
        "nat", List.of("org.agrona.", "io.berth.dataplane", "io.berth.conntrack", "io.berth.nat"),
        "vxlan", List.of("org.agrona.", "org.bouncycastle.", "io.berth.dataplane", "io.berth.vxlan"),
        "control", List.of("org.agrona.", "jnr.", "com.fasterxml.jackson.", "picocli.", "net.openhft.", "io.etcd.jetcd",
            "io.grpc.", "org.xbill.DNS.", "io.prometheus.metrics.", "io.berth.")));

    private static final String PACKET_PATH = "io\\.berth\\.(tap|l2|l3|conntrack|nat|vxlan)\\b.*";

    @Test
    void everyModuleImportsOnlyWhatItsLayerAllows() throws IOException
    {
        final Path root = Path.of("..").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(root.resolve("pom.xml")), "run from a module directory: " + root);
        final List<String> violations = new ArrayList<>();
        int checked = 0;
        for (final Map.Entry<String, List<String>> module : MODULES.entrySet())
        {
            final Path sources = root.resolve(module.getKey()).resolve("src/main/java");
            if (!Files.isDirectory(sources))
            {
                continue; // a module made later (vxlan) is checked once it has code
            }
            try (Stream<Path> files = Files.walk(sources))
            {
                for (final Path file : (Iterable<Path>)files.filter(f -> f.toString().endsWith(".java"))::iterator)
                {
                    checked++;
                    check(module.getKey(), sources.relativize(file).toString().replace('/', '.'), Files.readString(file),
                        module.getValue(), violations);
                }
            }
        }
        assertTrue(checked > 100, "read the modules' sources: " + checked);
        assertEquals(List.of(), violations);
    }

    private static void check(final String module, final String file, final String text, final List<String> allowed,
        final List<String> violations)
    {
        final List<String> names = new ArrayList<>();
        final Matcher imports = IMPORT.matcher(text);
        while (imports.find())
        {
            names.add(imports.group(1));
            if (JDK.stream().noneMatch(imports.group(1)::startsWith) && allowed.stream().noneMatch(imports.group(1)::startsWith))
            {
                violations.add(module + ": " + file + " imports " + imports.group(1));
            }
        }
        final Matcher qualified = QUALIFIED.matcher(text.replaceAll("(?m)^(package|import) .*$", ""));
        while (qualified.find())
        {
            names.add(qualified.group(1));
            if (allowed.stream().noneMatch(qualified.group(1)::startsWith))
            {
                violations.add(module + ": " + file + " uses " + qualified.group(1));
            }
        }
        final String pkg = file.substring(0, file.lastIndexOf(".java"));
        for (final String name : names)
        {
            if (pkg.startsWith("io.berth.conntrack.") && name.startsWith("io.berth.nat"))
            {
                violations.add(file + ": conntrack uses nat (" + name + ")");
            }
            if (module.equals("control") && !pkg.startsWith("io.berth.control.dataplane.") && name.matches(PACKET_PATH))
            {
                violations.add(file + ": only control.dataplane touches the packet path (" + name + ")");
            }
            if (module.equals("control") && name.startsWith("io.berth.control.api.") && !isFrontEnd(pkg)
                && !isRoot(pkg))
            {
                violations.add(file + ": the API is a front end; only front ends import it (" + name + ")");
            }
            if (module.equals("control") && name.equals("io.berth.control.Berthd") && !isRoot(pkg))
            {
                violations.add(file + ": imports the composition root (" + name + ")");
            }
            if (module.equals("control") && isFrontEnd(pkg) &&
                name.matches("io\\.berth\\.control\\.state\\.(ControlCore|PortPublishing|Restore)\\b.*"))
            {
                violations.add(file + ": a front end reaches past the controllers (" + name + ")");
            }
            final String driver = driverOf(pkg);
            final String used = driverOf(name + ".X");
            if (used != null && !used.equals(driver) && !pkg.equals("io.berth.control.driver.Drivers")
                && (pkg.startsWith("io.berth.control.driver.") || pkg.startsWith("io.berth.control.state.")))
            {
                violations.add(file + ": uses driver " + used + " (" + name + "); drivers meet only in driver.Drivers");
            }
        }
    }

    /** The API, the CLI and its client, the CNI plugin's service, metrics: what users and tools talk to. */
    private static boolean isFrontEnd(final String pkg)
    {
        return pkg.matches("io\\.berth\\.control\\.(api|cli|client|cni|metrics)\\..*");
    }

    /** The composition root: classes right in io.berth.control. */
    private static boolean isRoot(final String pkg)
    {
        return pkg.matches("io\\.berth\\.control\\.[A-Z]\\w*");
    }

    /** "bridge" for io.berth.control.driver.bridge.*, else null (the SPI package itself is no driver). */
    private static String driverOf(final String qualifiedName)
    {
        final String prefix = "io.berth.control.driver.";
        if (!qualifiedName.startsWith(prefix))
        {
            return null;
        }
        final String rest = qualifiedName.substring(prefix.length());
        final int dot = rest.indexOf('.');
        return dot < 0 || !Character.isLowerCase(rest.charAt(0)) || rest.startsWith("spi.") ? null
            : rest.substring(0, dot);
    }

    /**
     * Inside control, packages form layers (issue 25): no package loop (state and drivers, journal and stores
     * once imported each other), and no import runs up a floor (a package importing one of its ancestors, as every
     * package once did for the root's BerthException): shared types live in leaf packages (error, event, model,
     * driver.spi), so the parent of a family is free to name its children.
     */
    @Test
    void controlHasNoPackageLoopAndNoImportUpAFloor() throws IOException
    {
        final Path sources = Path.of("..").toAbsolutePath().normalize().resolve("control/src/main/java");
        final Map<String, Set<String>> uses = new TreeMap<>();
        final List<String> upAFloor = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources))
        {
            for (final Path file : (Iterable<Path>)files.filter(f -> f.toString().endsWith(".java"))::iterator)
            {
                final String text = Files.readString(file);
                final String pkg = sources.relativize(file.getParent()).toString().replace('/', '.');
                final Set<String> used = uses.computeIfAbsent(pkg, p -> new TreeSet<>());
                final Matcher imports = IMPORT.matcher(text);
                while (imports.find())
                {
                    final String target = packageOf(imports.group(1));
                    if (target.startsWith("io.berth.control") && !target.equals(pkg))
                    {
                        used.add(target);
                        if (pkg.startsWith(target + "."))
                        {
                            upAFloor.add(file.getFileName() + " imports " + imports.group(1));
                        }
                    }
                }
            }
        }
        assertTrue(uses.size() > 20, "read control's packages: " + uses.keySet());
        assertEquals(List.of(), upAFloor, "imports that run up a floor");
        assertEquals(List.of(), loops(uses), "package loops inside control");
    }

    /**
     * The controllers (issue 25) share one {@code ControlCore} and call each other's methods where a request spans
     * concerns, but never reach into each other's state: every field a controller declares is private.
     */
    @Test
    void controllersKeepTheirStateToThemselves() throws IOException
    {
        final Path state = Path.of("..").toAbsolutePath().normalize()
            .resolve("control/src/main/java/io/berth/control/state");
        final Pattern field = Pattern.compile("^    (?!private |return |throw )[A-Za-z][\\w<>, .\\[\\]]* \\w+( = .*)?;$",
            Pattern.MULTILINE);
        final List<String> shared = new ArrayList<>();
        int controllers = 0;
        try (Stream<Path> files = Files.list(state))
        {
            for (final Path file : (Iterable<Path>)files.filter(f -> f.getFileName().toString()
                .matches("\\w+Controller\\.java|PortPublishing\\.java|Restore\\.java"))::iterator)
            {
                controllers++;
                final Matcher fields = field.matcher(Files.readString(file));
                while (fields.find())
                {
                    if (!fields.group().contains(" static final "))
                    {
                        shared.add(file.getFileName() + ": " + fields.group().trim());
                    }
                }
            }
        }
        assertTrue(controllers >= 6, "read the controllers: " + controllers);
        assertEquals(List.of(), shared, "fields other controllers could reach");
    }

    /** The package part of an imported name: its leading lower-case segments. */
    private static String packageOf(final String name)
    {
        final String[] parts = name.split("\\.");
        int end = 0;
        while (end < parts.length && Character.isLowerCase(parts[end].charAt(0)))
        {
            end++;
        }
        return String.join(".", Arrays.copyOf(parts, end));
    }

    /** Every package that reaches itself again, with the first way back found (a depth-first search per package). */
    private static List<String> loops(final Map<String, Set<String>> uses)
    {
        final List<String> loops = new ArrayList<>();
        for (final String start : uses.keySet())
        {
            final Deque<List<String>> paths = new ArrayDeque<>();
            final Set<String> seen = new HashSet<>();
            paths.push(List.of(start));
            while (!paths.isEmpty())
            {
                final List<String> path = paths.pop();
                for (final String next : uses.getOrDefault(path.get(path.size() - 1), Set.of()))
                {
                    if (next.equals(start))
                    {
                        loops.add(String.join(" -> ", path) + " -> " + start);
                        paths.clear();
                        break;
                    }
                    if (seen.add(next))
                    {
                        final List<String> longer = new ArrayList<>(path);
                        longer.add(next);
                        paths.push(longer);
                    }
                }
            }
        }
        return loops;
    }
}
