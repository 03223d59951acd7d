package io.berth.control.client;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.stream.Stream;

class ThinClientTest
{
    /** The clients' start-up rests on loading java.base only: no berth package, no library. */
    @Test
    void theClientsImportOnlyTheJdk() throws IOException
    {
        final Path sources = Path.of("src/main/java/io/berth/control/client");
        try (Stream<Path> files = Files.list(sources))
        {
            for (final Path file : files.toList())
            {
                for (final String line : Files.readAllLines(file))
                {
                    if (line.startsWith("import "))
                    {
                        assertTrue(line.startsWith("import java.") || line.startsWith("import static java."),
                            file + ": " + line);
                    }
                    assertFalse(line.contains("io.berth.") && !line.startsWith("package ") && !line.contains("{@link"),
                        file + " names another berth package: " + line);
                }
            }
        }
    }

    @Test
    void jsonSyntaxAcceptsObjectsAndRefusesTheRest()
    {
        for (String good : List.of("{}", " {\"a\":[1,-2.5e3,true,false,null,{\"b\":\"\\u00e9\\n\"}]} ",
            "{\"cniVersion\":\"1.0.0\",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80}]}}"))
        {
            assertTrue(JsonSyntax.isObject(good), good);
        }
        for (String bad : List.of("", "{", "{not json", "[1]", "\"x\"", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x",
            "{\"a\":01x}", "{\"a\":\"\\q\"}", "{\"a\":\"tab\there\"}", "{a:1}", "{\"a\":tru}"))
        {
            assertFalse(JsonSyntax.isObject(bad), bad);
        }
    }

    @Test
    void quotingEscapesWhatJsonNeeds()
    {
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", ServedCall.quote("a\"b\\c\nd\u0001"));
        assertEquals("[\"x\",\"y z\"]", ServedCall.array(List.of("x", "y z")));
        assertEquals("{\"K\":\"V\"}", ServedCall.object(Map.of("K", "V")));
        assertTrue(JsonSyntax.isObject(ServedCall.object(Map.of("CNI_ARGS", "IP=1;\"odd\"\\"))));
    }

    @Test
    void framesRoundTrip() throws IOException
    {
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        ServedCall.writeFrame(wire, ServedCall.STDOUT, "out\n".getBytes(StandardCharsets.UTF_8));
        ServedCall.writeFrame(wire, ServedCall.EXIT, ServedCall.exitPayload(258));
        final DataInputStream in = new DataInputStream(new ByteArrayInputStream(wire.toByteArray()));
        assertEquals('o', in.read());
        assertEquals(4, in.readInt());
        assertEquals("out\n", new String(in.readNBytes(4), StandardCharsets.UTF_8));
        assertEquals('x', in.read());
        assertEquals(4, in.readInt());
        assertEquals(258, in.readInt());
    }

    @Test
    void theSocketOptionIsTheRootsOnly()
    {
        assertEquals(Path.of("/s"), BerthClient.socketOption(new String[] {"--socket", "/s", "ps"}));
        assertEquals(Path.of("/t"), BerthClient.socketOption(new String[] {"--socket=/t", "ps"}));
        assertEquals(null, BerthClient.socketOption(new String[] {"--socket"}));
        // after the subcommand an option is the subcommand's (exec c1 --socket x runs "--socket x" in c1)
        assertEquals(ServedCall.defaultSocket(), BerthClient.socketOption(new String[] {"exec", "c1", "--socket", "x"}));
    }

    @Test
    void thePluginAnswersVersionAndRefusesUndecodableConfigsWithoutBerthd()
    {
        final PrintStream out = System.out;
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try
        {
            assertEquals(0, CniPlugin.run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"0.4.0\"}"));
            assertEquals(1, CniPlugin.run(Map.of("CNI_COMMAND", "ADD"), "{broken"));
            assertEquals(1, CniPlugin.run(Map.of("CNI_COMMAND", "ADD"),
                "{\"cniVersion\":\"1.0.0\",\"socket\":\"/nonexistent/berth.sock\"}"));
        }
        finally
        {
            System.setOut(out);
        }
        final String[] lines = printed.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals("{\"cniVersion\":\"0.4.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\",\"1.1.0\"]}", lines[0]);
        assertTrue(lines[1].contains("\"code\":6"), lines[1]);
        assertTrue(lines[2].contains("\"code\":11") && lines[2].contains("/nonexistent/berth.sock"), lines[2]);
    }
}
