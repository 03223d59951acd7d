package io.berth.nat;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** nat depends on dataplane (and agrona, the JDK) only; conntrack never on nat. Reads the imports. */
class DependencyRuleTest
{
    @Test
    void importsStayWithinTheirLayer() throws IOException
    {
        final Path root = Path.of("src/main/java/io/berth");
        final List<String> offending;
        try (Stream<Path> files = Files.walk(root))
        {
            offending = files.filter(p -> p.toString().endsWith(".java")).flatMap(p ->
            {
                try
                {
                    final boolean conntrack = p.toString().contains("/conntrack/");
                    return Files.readAllLines(p).stream()
                        .map(String::trim)
                        .filter(l -> l.startsWith("import ") && (l.contains(" io.berth.") || l.contains(" static io.berth.")))
                        .filter(l -> !l.contains("io.berth.dataplane.") && !l.contains("io.berth.conntrack.")
                            && !(l.contains("io.berth.nat.") && !conntrack))
                        .map(l -> p.getFileName() + ": " + l);
                }
                catch (final IOException ex)
                {
                    throw new java.io.UncheckedIOException(ex);
                }
            }).collect(Collectors.toList());
        }
        assertEquals(List.of(), offending);
    }
}
