package io.berth.l2;

import io.berth.dataplane.ImportRules;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** switch (packages l2, l3) depends on dataplane (and agrona, the JDK), never on tap, nat, vxlan or control. */
class DependencyRulesTest
{
    @Test
    void importsOnlyTheJdkAgronaDataplaneAndItself() throws IOException
    {
        final Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "run from the module directory");
        assertEquals(List.of(), ImportRules.violations(sources, "dataplane", "l2", "l3"));
    }
}
