package io.berth.control.cni;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * One plugin call, checked: the {@code CNI_*} environment and the network config from stdin. Every refusal is a
 * {@link CniError} with the spec's code. Immutable.
 */
public record CniRequest(String command, String containerId, String netnsPath, String netns, String ifName,
    Map<String, String> args, JsonNode config, String cniVersion)
{
    public static final List<String> VERSIONS = List.of("0.4.0", "1.0.0", "1.1.0");
    static final List<String> COMMANDS = List.of("ADD", "DEL", "CHECK", "VERSION", "STATUS", "GC");
    private static final Pattern CONTAINER_ID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.\\-]*");
    private static final Pattern ARGS_KEY = Pattern.compile("[A-Za-z0-9_]+");
    /** CNI_ARGS keys berth reads or knows to be harmless. */
    private static final List<String> KNOWN_ARGS = List.of("IgnoreUnknown", "IP", "MAC", "K8S_POD_NAME",
        "K8S_POD_NAMESPACE", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID");
    private static final Path NETNS_DIR = Path.of("/run/netns");

    public static CniRequest parse(final Map<String, String> env, final String stdin)
    {
        final String command = env.get("CNI_COMMAND");
        if (command == null || command.isEmpty())
        {
            throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_COMMAND is not set",
                "one of " + String.join(", ", COMMANDS));
        }
        if (!COMMANDS.contains(command))
        {
            throw new CniError(CniError.INVALID_ENVIRONMENT, "unknown CNI_COMMAND " + command,
                "one of " + String.join(", ", COMMANDS));
        }
        final JsonNode config;
        try
        {
            config = Json.WIRE.readTree(stdin == null || stdin.isBlank() ? "null" : stdin);
        }
        catch (final IOException ex)
        {
            throw new CniError(CniError.DECODE_FAILURE, "the network config on stdin is not JSON",
                ex instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() :
                    ex.getMessage());
        }
        if (config == null || !config.isObject())
        {
            throw new CniError(CniError.DECODE_FAILURE, "the network config on stdin is not a JSON object",
                "got " + (stdin == null || stdin.isBlank() ? "nothing" : stdin.strip()));
        }
        final String version = config.path("cniVersion").asText("");
        if (version.isEmpty())
        {
            throw new CniError(CniError.INVALID_CONFIG, "the network config has no cniVersion",
                "one of " + String.join(", ", VERSIONS));
        }
        if (!command.equals("VERSION") && !VERSIONS.contains(version))
        {
            throw new CniError(CniError.INCOMPATIBLE_VERSION, "cniVersion " + version + " is not supported",
                "berth supports " + String.join(", ", VERSIONS));
        }
        if ((command.equals("STATUS") || command.equals("GC")) && !version.equals("1.1.0"))
        {
            throw new CniError(CniError.INCOMPATIBLE_VERSION, command + " needs cniVersion 1.1.0, not " + version,
                "berth supports " + String.join(", ", VERSIONS));
        }
        final boolean perContainer = command.equals("ADD") || command.equals("DEL") || command.equals("CHECK");
        String containerId = null;
        String netnsPath = null;
        String netns = null;
        String ifName = null;
        Map<String, String> args = Map.of();
        if (perContainer)
        {
            containerId = required(env, "CNI_CONTAINERID");
            if (!CONTAINER_ID.matcher(containerId).matches())
            {
                throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_CONTAINERID " + containerId + " is malformed",
                    "letters, digits, _ . and -, starting with a letter or digit");
            }
            ifName = required(env, "CNI_IFNAME");
            if (ifName.length() > 15 || ifName.equals(".") || ifName.equals("..") ||
                !ifName.chars().allMatch(c -> c > ' ' && c < 127 && c != '/' && c != ':'))
            {
                throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_IFNAME " + ifName + " is no interface name",
                    "at most 15 printable characters without / : or spaces, such as eth0");
            }
            netnsPath = env.get("CNI_NETNS");
            if (netnsPath == null || netnsPath.isEmpty())
            {
                if (!command.equals("DEL"))
                {
                    throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_NETNS is not set",
                        "the path of the container's network namespace, such as /run/netns/NAME");
                }
                netnsPath = null;
            }
            else if (command.equals("DEL"))
            {
                netns = null; // DEL succeeds whatever is left of the namespace: berth finds the container by id
            }
            else
            {
                netns = netnsName(netnsPath);
            }
            args = args(env.getOrDefault("CNI_ARGS", ""));
        }
        final String type = config.path("type").asText("");
        if (!command.equals("VERSION") && !type.equals("berth"))
        {
            throw new CniError(CniError.INVALID_CONFIG, "the config's type is " + (type.isEmpty() ? "missing" : type),
                "berth's plugin serves \"type\": \"berth\"");
        }
        if (perContainer || command.equals("GC"))
        {
            if (config.path("network").asText("").isEmpty())
            {
                throw new CniError(CniError.INVALID_CONFIG, "the config names no berth network (\"network\")",
                    "berth cni install --network NET writes it");
            }
        }
        return new CniRequest(command, containerId, netnsPath, netns, ifName, args, config, version);
    }

    public String network()
    {
        return config.path("network").asText();
    }

    /** A named namespace: /run/netns/NAME (or a path that resolves there, such as /var/run/netns/NAME). */
    private static String netnsName(final String path)
    {
        Path resolved = Path.of(path).toAbsolutePath().normalize();
        try
        {
            resolved = resolved.getParent() == null ? resolved : resolved.getParent().toRealPath()
                .resolve(resolved.getFileName());
        }
        catch (final IOException ex)
        {
            throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_NETNS " + path + " does not exist", ex.toString());
        }
        if (resolved.getParent() == null || !resolved.getParent().equals(NETNS_DIR))
        {
            throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_NETNS " + path + " is not under /run/netns",
                "berth attaches named network namespaces (/run/netns/NAME, as podman and ip netns make them)");
        }
        return resolved.getFileName().toString();
    }

    /** CNI_ARGS: KEY=VALUE;... ; an unknown key is refused unless IgnoreUnknown is 1 or true. */
    private static Map<String, String> args(final String text)
    {
        final Map<String, String> args = new LinkedHashMap<>();
        if (text.isBlank())
        {
            return args;
        }
        for (final String pair : text.split(";"))
        {
            final int equals = pair.indexOf('=');
            if (equals <= 0 || !ARGS_KEY.matcher(pair.substring(0, equals)).matches())
            {
                throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_ARGS " + text + " is malformed at \"" + pair +
                    "\"", "KEY=VALUE pairs separated by ;");
            }
            args.put(pair.substring(0, equals), pair.substring(equals + 1));
        }
        final String ignore = args.getOrDefault("IgnoreUnknown", "");
        if (!ignore.equals("1") && !ignore.equalsIgnoreCase("true"))
        {
            for (final String key : args.keySet())
            {
                if (!KNOWN_ARGS.contains(key))
                {
                    throw new CniError(CniError.INVALID_ENVIRONMENT, "unknown CNI_ARGS key " + key,
                        "berth reads " + String.join(", ", KNOWN_ARGS) + "; IgnoreUnknown=1 lets others pass");
                }
            }
        }
        return args;
    }

    private static String required(final Map<String, String> env, final String name)
    {
        final String value = env.get(name);
        if (value == null || value.isEmpty())
        {
            throw new CniError(CniError.INVALID_ENVIRONMENT, name + " is not set", "the CNI spec requires it for " +
                env.get("CNI_COMMAND"));
        }
        return value;
    }
}
