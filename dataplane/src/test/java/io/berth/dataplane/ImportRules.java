package io.berth.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads a module's sources for imports and fully qualified {@code io.berth.*} names outside what the module may
 * use (architecture.md: modules and who may import whom). Shared by the modules' dependency-rule tests through
 * dataplane's test-jar. Test code only.
 */
public final class ImportRules
{
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);

    private ImportRules()
    {
    }

    /**
     * @param sources      a module's {@code src/main/java}.
     * @param ownPackages  the {@code io.berth} packages the module may use besides the JDK and agrona, e.g.
     *                     {@code "dataplane", "l2"}.
     * @return one line per violation ("FILE: import NAME" or "FILE: uses NAME"), empty when the rules hold.
     */
    public static List<String> violations(final Path sources, final String... ownPackages) throws IOException
    {
        final List<String> allowedPrefixes = new ArrayList<>(List.of("java.", "org.agrona."));
        for (final String own : ownPackages)
        {
            allowedPrefixes.add("io.berth." + own + ".");
        }
        final Pattern qualified = Pattern.compile("\\b(io\\.berth\\.(?!"
            + Stream.of(ownPackages).map(p -> p + "\\b").collect(Collectors.joining("|")) + ")\\w+)");
        final List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources))
        {
            for (final Path file : (Iterable<Path>)files.filter(f -> f.toString().endsWith(".java"))::iterator)
            {
                final String text = Files.readString(file);
                final Matcher imports = IMPORT.matcher(text);
                while (imports.find())
                {
                    final String name = imports.group(1);
                    if (allowedPrefixes.stream().noneMatch(name::startsWith))
                    {
                        violations.add(file + ": import " + name);
                    }
                }
                final Matcher names = qualified.matcher(text);
                while (names.find())
                {
                    violations.add(file + ": uses " + names.group(1));
                }
            }
        }
        return violations;
    }
}
