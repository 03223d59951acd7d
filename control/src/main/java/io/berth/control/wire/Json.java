package io.berth.control.wire;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** The shared Jackson mappers. ObjectMapper is thread-safe once configured. */
public final class Json
{
    /** Compact, one document per line: the wire format. */
    public static final ObjectMapper WIRE = new ObjectMapper();
    /** Indented, for what users read (inspect). */
    public static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json()
    {
    }
}
