package io.berth.control.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;

/**
 * The journal's text form: one JSON object per event, {@code {"v":1,"at":"<ISO instant>","type":"network.created",
 * ...fields}}. Unknown fields are ignored on read so later versions can add some. Stateless, thread-safe.
 */
public final class JournalCodec
{
    public static final int VERSION = 1;
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

    public static Event decode(final String text)
    {
        try
        {
            final ObjectNode node = (ObjectNode)MAPPER.readTree(text);
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
