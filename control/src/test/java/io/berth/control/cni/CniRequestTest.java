package io.berth.control.cni;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CniRequestTest
{
    private static final String CONFIG = "{\"cniVersion\":\"1.0.0\",\"type\":\"berth\",\"network\":\"n1\"}";

    private static Map<String, String> env(final String... pairs)
    {
        final Map<String, String> env = new HashMap<>(Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "abc",
            "CNI_IFNAME", "eth0"));
        for (int i = 0; i < pairs.length; i += 2)
        {
            if (pairs[i + 1] == null)
            {
                env.remove(pairs[i]);
            }
            else
            {
                env.put(pairs[i], pairs[i + 1]);
            }
        }
        return env;
    }

    private static void refused(final int code, final String mentions, final Map<String, String> env,
        final String config)
    {
        final CniError error = assertThrows(CniError.class, () -> CniRequest.parse(env, config));
        assertEquals(code, error.code(), error.getMessage());
        assertTrue((error.getMessage() + error.details()).contains(mentions), error.getMessage() + " " + error.details());
    }

    @Test
    void aDelNeedsNoNamespaceAndReadsTheArgs()
    {
        final CniRequest del = CniRequest.parse(env("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=web;X=y"), CONFIG);
        assertEquals("DEL", del.command());
        assertNull(del.netns());
        assertEquals("web", del.args().get("K8S_POD_NAME"));
        assertEquals("n1", del.network());
    }

    @Test
    void badEnvironmentIsCode4()
    {
        refused(4, "CNI_COMMAND", env("CNI_COMMAND", null), CONFIG);
        refused(4, "FROB", env("CNI_COMMAND", "FROB"), CONFIG);
        refused(4, "CNI_CONTAINERID", env("CNI_CONTAINERID", null), CONFIG);
        refused(4, "-bad", env("CNI_CONTAINERID", "-bad"), CONFIG);
        refused(4, "CNI_IFNAME", env("CNI_IFNAME", "a/b"), CONFIG);
        refused(4, "CNI_IFNAME", env("CNI_IFNAME", "sixteen-chars-xx"), CONFIG);
        refused(4, "CNI_NETNS", env("CNI_COMMAND", "ADD"), CONFIG);
        refused(4, "/tmp", env("CNI_COMMAND", "ADD", "CNI_NETNS", "/tmp/x"), CONFIG);
        refused(4, "X", env("CNI_ARGS", "X=y"), CONFIG);
        refused(4, "malformed", env("CNI_ARGS", "novalue"), CONFIG);
    }

    @Test
    void badConfigIsCode6Or7AndAnUnknownVersionCode1()
    {
        refused(6, "JSON", env(), "{nope");
        refused(6, "object", env(), "[1]");
        refused(6, "nothing", env(), "");
        refused(7, "cniVersion", env(), "{\"type\":\"berth\",\"network\":\"n1\"}");
        refused(7, "bridge", env(), CONFIG.replace("berth", "bridge"));
        refused(7, "network", env(), "{\"cniVersion\":\"1.0.0\",\"type\":\"berth\"}");
        refused(1, "0.3.1", env(), CONFIG.replace("1.0.0", "0.3.1"));
        refused(1, "1.1.0", env("CNI_COMMAND", "STATUS"), CONFIG);
    }

    @Test
    void versionAnswersEveryVersion()
    {
        assertTrue(CniService.versionJson("0.4.0").contains("\"cniVersion\":\"0.4.0\""));
        assertTrue(CniService.versionJson("9.9.9").contains("\"cniVersion\":\"1.1.0\""));
        assertTrue(CniService.errorJson("1.0.0", new CniError(7, "m", "d"))
            .equals("{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"m\",\"details\":\"d\"}"));
    }
}
