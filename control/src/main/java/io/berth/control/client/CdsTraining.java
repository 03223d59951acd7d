package io.berth.control.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.io.PrintStream;
import java.io.UncheckedIOException;

/**
 * The build's training run for the clients' class-data archive ({@code -XX:ArchiveClassesAtExit}): both clients
 * make a served call to a stand-in berthd on a temporary socket, so every class a real call loads is archived.
 * Runs once, at build time, on the main thread plus the stand-in's.
 */
public final class CdsTraining
{
    private CdsTraining()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path dir = Files.createTempDirectory("berth-cds");
        final Path socket = dir.resolve("training.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            server.bind(UnixDomainSocketAddress.of(socket));
            final Thread standIn = new Thread(() -> answer(server, 3), "berth-cds-stand-in");
            standIn.start();
            final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            final PrintStream out = System.out;
            System.setOut(quiet);
            try
            {
                BerthClient.run(new String[] {"--socket", socket.toString(), "ps"});
                BerthClient.run(new String[] {"--socket", socket.toString(), "exec", "c", "true"});
                CniPlugin.run(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "training"),
                    "{\"cniVersion\":\"1.0.0\",\"socket\":\"" + socket + "\"}");
                CniPlugin.run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.0.0\"}");
                CniPlugin.run(Map.of("CNI_COMMAND", "DEL"), "{\"socket\":\"" + dir.resolve("absent.sock") + "\"}");
            }
            finally
            {
                System.setOut(out);
            }
            standIn.join();
        }
        finally
        {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    private static void answer(final ServerSocketChannel server, final int calls)
    {
        for (int i = 0; i < calls; i++)
        {
            try (SocketChannel client = server.accept())
            {
                final BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                    StandardCharsets.UTF_8));
                final String request = in.readLine();
                final OutputStream out = Channels.newOutputStream(client);
                if (request.contains("\"exec\""))
                {
                    ServedCall.writeFrame(out, ServedCall.RUN, "true".getBytes(StandardCharsets.UTF_8));
                    continue;
                }
                ServedCall.writeFrame(out, ServedCall.STDOUT, "trained\n".getBytes(StandardCharsets.UTF_8));
                ServedCall.writeFrame(out, ServedCall.STDERR, new byte[0]);
                ServedCall.writeFrame(out, ServedCall.EXIT, ServedCall.exitPayload(0));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
