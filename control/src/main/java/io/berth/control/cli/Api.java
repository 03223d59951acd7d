package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** How commands reach berthd: one request in, its result out; a refusal is thrown as a BerthException. */
@FunctionalInterface
public interface Api
{
    JsonNode call(ObjectNode request);
}
