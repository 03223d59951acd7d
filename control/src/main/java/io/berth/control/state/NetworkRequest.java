package io.berth.control.state;

import java.util.List;

/**
 * {@code berth network create} as the API receives it, before validation. Null means "not given".
 *
 * @param options {@code -o KEY=VALUE} strings as typed, validated by the service.
 */
public record NetworkRequest(String name, String driver, String subnet, String ipRange, String gateway,
    boolean internal, List<String> options)
{
}
