package io.berth.control.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.event.Event;

import java.time.Instant;

/**
 * The journal's text form: one JSON object per event, {@code {"v":2,"at":"<ISO instant>","type":"network.created",
 * ...fields}}. Unknown fields are ignored on read so later versions can add some. Version 1 (berth before the
 * driver SPI) wrote bridge fields and a dataplane index into {@code network.created}; {@link #decode} migrates
 * those to version 2 as it reads, so a journal written by the old berthd replays unchanged on disk. Stateless,
 * thread-safe.
 */
public final class JournalCodec
{
    public static final int VERSION = 2;
    private static final ObjectMapper MAPPER =
        new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private JournalCodec()
    {
    }

    public static String encode(final Event event, final Instant at)
    {
        final ObjectNode node = MAPPER.createObjectNode();
        node.put("v", VERSION);
        node.put("at", at.toString());
        node.setAll((ObjectNode)MAPPER.valueToTree(event));
        try
        {
            return MAPPER.writeValueAsString(node);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * v1: {id, denseId, name, driver, subnet, ipRange, gateway, internal, icc, mtu, created}. v2 keeps id, name,
     * driver, internal and created; subnet, ipRange and gateway become the IPAM config (bridge only), icc and mtu
     * the bridge driver's options; denseId (a dataplane index) is dropped, after telling which network was the
     * pre-defined default: denseId 0 named bridge, or host and null.
     */
    static void migrateNetworkCreatedV1(final ObjectNode node)
    {
        final String driver = node.path("driver").asText();
        final boolean bridge = "bridge".equals(driver);
        node.put("scope", "local");
        node.put("predefined", !bridge || ("bridge".equals(node.path("name").asText()) && node.path("denseId").asInt() == 0));
        final ObjectNode options = node.putObject("options");
        if (bridge)
        {
            final ObjectNode ipam = node.putObject("ipam");
            ipam.put("driver", "default");
            ipam.set("subnet", node.get("subnet"));
            ipam.set("ipRange", node.get("ipRange"));
            ipam.set("gateway", node.get("gateway"));
            options.put("icc", Boolean.toString(node.path("icc").asBoolean(true)));
            options.put("mtu", Integer.toString(node.path("mtu").asInt(1500)));
        }
        node.putObject("driverData");
        for (final String gone : new String[] {"denseId", "subnet", "ipRange", "gateway", "icc", "mtu"})
        {
            node.remove(gone);
        }
    }

    public static Event decode(final String text)
    {
        try
        {
            final ObjectNode node = (ObjectNode)MAPPER.readTree(text);
            if (node.path("v").asInt(1) == 1 && "network.created".equals(node.path("type").asText()))
            {
                migrateNetworkCreatedV1(node);
            }
            node.remove("v");
            node.remove("at");
            return MAPPER.treeToValue(node, Event.class);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException("unreadable journal entry: " + text, ex);
        }
    }
}
