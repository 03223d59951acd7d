package io.berth.dataplane;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** dataplane depends on agrona and the JDK only (docs: modules and who may import whom). */
class DependencyRulesTest
{
    @Test
    void importsOnlyTheJdkAgronaAndItself() throws IOException
    {
        final Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "run from the module directory");
        assertEquals(List.of(), ImportRules.violations(sources, "dataplane"));
    }
}
