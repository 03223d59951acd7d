package io.berth.control.client;

/**
 * Whether a text is one JSON object (RFC 8259 syntax only, no values kept): the plugin refuses undecodable
 * configs itself, without berthd and without a JSON library. Used on the plugin's main thread.
 */
final class JsonSyntax
{
    private final String text;
    private int at;

    private JsonSyntax(final String text)
    {
        this.text = text;
    }

    static boolean isObject(final String text)
    {
        final JsonSyntax parser = new JsonSyntax(text);
        try
        {
            parser.space();
            if (parser.peek() != '{')
            {
                return false;
            }
            parser.value(0);
            parser.space();
            return parser.at == text.length();
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    private void value(final int depth)
    {
        if (depth > 512)
        {
            throw new IllegalArgumentException("too deep");
        }
        space();
        final char c = peek();
        switch (c)
        {
            case '{' -> members('}', depth, true);
            case '[' -> members(']', depth, false);
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        }
    }

    private void members(final char close, final int depth, final boolean object)
    {
        at++;
        space();
        if (peek() == close)
        {
            at++;
            return;
        }
        while (true)
        {
            if (object)
            {
                space();
                string();
                space();
                expect(':');
            }
            value(depth + 1);
            space();
            final char next = next();
            if (next == close)
            {
                return;
            }
            if (next != ',')
            {
                throw new IllegalArgumentException("expected , or " + close);
            }
        }
    }

    private void string()
    {
        expect('"');
        while (true)
        {
            final char c = next();
            if (c == '"')
            {
                return;
            }
            if (c < 0x20)
            {
                throw new IllegalArgumentException("control character in a string");
            }
            if (c == '\\')
            {
                final char escaped = next();
                if (escaped == 'u')
                {
                    for (int i = 0; i < 4; i++)
                    {
                        if (Character.digit(next(), 16) < 0)
                        {
                            throw new IllegalArgumentException("bad \\u escape");
                        }
                    }
                }
                else if ("\"\\/bfnrt".indexOf(escaped) < 0)
                {
                    throw new IllegalArgumentException("bad escape");
                }
            }
        }
    }

    private void number()
    {
        final int start = at;
        if (peek() == '-')
        {
            at++;
        }
        digits();
        if (at < text.length() && text.charAt(at) == '.')
        {
            at++;
            digits();
        }
        if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E'))
        {
            at++;
            if (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-'))
            {
                at++;
            }
            digits();
        }
        if (at == start)
        {
            throw new IllegalArgumentException("not a value");
        }
    }

    private void digits()
    {
        final int start = at;
        while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9')
        {
            at++;
        }
        if (at == start)
        {
            throw new IllegalArgumentException("digits expected");
        }
    }

    private void literal(final String word)
    {
        if (!text.startsWith(word, at))
        {
            throw new IllegalArgumentException("not a value");
        }
        at += word.length();
    }

    private void space()
    {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0)
        {
            at++;
        }
    }

    private void expect(final char c)
    {
        if (next() != c)
        {
            throw new IllegalArgumentException("expected " + c);
        }
    }

    private char peek()
    {
        if (at >= text.length())
        {
            throw new IllegalArgumentException("truncated");
        }
        return text.charAt(at);
    }

    private char next()
    {
        final char c = peek();
        at++;
        return c;
    }
}
