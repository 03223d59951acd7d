package io.berth.control.client;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CNI plugin executable ({@code berth cni install} puts a launcher of it in the runtime's plugin dir): hands
 * the {@code CNI_*} environment and the config on stdin to berthd at the config's {@code "socket"}, and prints
 * berthd's result. VERSION, and the refusals that need no berthd, are answered here. Runs on the main thread.
 */
public final class CniPlugin
{
    static final String VERSIONS = "[\"0.4.0\",\"1.0.0\",\"1.1.0\"]";
    private static final Pattern VERSION = Pattern.compile("\"cniVersion\"\\s*:\\s*\"([^\"\\\\]*)\"");
    private static final Pattern SOCKET = Pattern.compile("\"socket\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    private CniPlugin()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        System.exit(run(System.getenv(), ServedCall.readAll(System.in)));
    }

    /** @return the exit code. */
    static int run(final Map<String, String> environment, final String stdin)
    {
        final String command = environment.getOrDefault("CNI_COMMAND", "");
        final String version = find(VERSION, stdin, "1.1.0");
        if (command.equals("VERSION"))
        {
            System.out.println("{\"cniVersion\":" + ServedCall.quote(known(version) ? version : "1.1.0") +
                ",\"supportedVersions\":" + VERSIONS + "}");
            return 0;
        }
        if (!command.isEmpty() && !JsonSyntax.isObject(stdin))
        {
            // refused here: without a config there is not even a socket to ask
            System.out.println("{\"cniVersion\":\"1.1.0\",\"code\":6,\"msg\":\"the network config on stdin is not a " +
                "JSON object\",\"details\":" + ServedCall.quote(stdin.length() > 200 ? stdin.substring(0, 200) + "..." :
                stdin) + "}");
            return 1;
        }
        final Map<String, String> env = new TreeMap<>();
        environment.forEach((key, value) ->
        {
            if (key.startsWith("CNI_"))
            {
                env.put(key, value);
            }
        });
        final String socketText = find(SOCKET, stdin, null);
        final Path socket = socketText == null ? ServedCall.defaultSocket() : Path.of(socketText.replace("\\/", "/"));
        final String request = "{\"op\":\"cni\",\"clientPid\":" + ServedCall.pid() + ",\"env\":" +
            ServedCall.object(env) + ",\"config\":" + ServedCall.quote(stdin) + "}";
        int code;
        try
        {
            code = ServedCall.run(socket, request, System.out, System.err);
        }
        catch (final IOException ex)
        {
            code = ServedCall.DELEGATED; // unreachable, or gone mid-call: either way the runtime should try again
        }
        if (code == ServedCall.DELEGATED)
        {
            // berthd is not there (or too old to serve CNI): the runtime may try again later
            final boolean status = command.equals("STATUS");
            System.out.println("{\"cniVersion\":" + ServedCall.quote(known(version) ? version : "1.1.0") +
                ",\"code\":" + (status ? 50 : 11) + ",\"msg\":" + ServedCall.quote("berthd does not answer at " +
                socket) + ",\"details\":" + ServedCall.quote("start berthd (bin/berthd --socket " + socket +
                "), then retry") + "}");
            code = 1;
        }
        return code;
    }

    private static boolean known(final String version)
    {
        return VERSIONS.contains("\"" + version + "\"");
    }

    private static String find(final Pattern pattern, final String text, final String otherwise)
    {
        final Matcher matcher = pattern.matcher(text);
        return matcher.find() ? matcher.group(1) : otherwise;
    }
}
