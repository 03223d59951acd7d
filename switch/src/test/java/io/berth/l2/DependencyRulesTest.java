package io.berth.l2;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** switch (packages l2, l3) depends on dataplane (and agrona, the JDK), never on tap, nat, vxlan or control. */
class DependencyRulesTest
{
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("\\b(io\\.berth\\.(?!dataplane\\b|l2\\b|l3\\b)\\w+)");

    @Test
    void importsOnlyTheJdkAgronaDataplaneAndItself() throws IOException
    {
        final Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "run from the module directory");
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
                    if (!(name.startsWith("java.") || name.startsWith("org.agrona.")
                        || name.startsWith("io.berth.dataplane.") || name.startsWith("io.berth.l2.") || name.startsWith("io.berth.l3.")))
                    {
                        violations.add(file + ": import " + name);
                    }
                }
                final Matcher qualified = QUALIFIED.matcher(text);
                while (qualified.find())
                {
                    violations.add(file + ": uses " + qualified.group(1));
                }
            }
        }
        assertEquals(List.of(), violations);
    }
}
