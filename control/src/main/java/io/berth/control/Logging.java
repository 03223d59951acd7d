package io.berth.control;

import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * berthd's one logger: every module logs through {@link System.Logger} (the JDK's, so dataplane needs no library),
 * which lands in java.util.logging, configured here once: one line per record on stderr, "berthd: LEVEL message",
 * and warnings and errors only unless {@code --log-level} says otherwise (quiet by default). chronicle-queue's own
 * logging (slf4j-simple) is set to the same level. Call before anything logs.
 */
public final class Logging
{
    /** The levels {@code --log-level} takes. */
    public static final String LEVELS = "error, warning, info, debug";

    private Logging()
    {
    }

    /** @throws IllegalArgumentException naming the level and the valid ones. */
    public static void configure(final String levelName)
    {
        final Level level = switch (levelName.toLowerCase(Locale.ROOT))
        {
            case "error" -> Level.SEVERE;
            case "warning", "warn" -> Level.WARNING;
            case "info" -> Level.INFO;
            case "debug" -> Level.FINE;
            default -> throw new IllegalArgumentException("--log-level " + levelName + " is not a level: give one of " +
                LEVELS);
        };
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level == Level.SEVERE ? "error" :
            level == Level.WARNING ? "warn" : level == Level.INFO ? "info" : "debug");
        final Logger root = Logger.getLogger("");
        for (final Handler handler : root.getHandlers())
        {
            root.removeHandler(handler);
        }
        final ConsoleHandler handler = new ConsoleHandler(); // stderr
        handler.setLevel(level);
        handler.setFormatter(new OneLine());
        root.addHandler(handler);
        root.setLevel(level);
    }

    /** "berthd: WARNING message", then the stack trace of a throwable, if any. */
    private static final class OneLine extends Formatter
    {
        @Override
        public String format(final LogRecord record)
        {
            final StringBuilder line = new StringBuilder("berthd: ");
            if (record.getLevel().intValue() < Level.WARNING.intValue() || record.getLevel() == Level.SEVERE)
            {
                line.append(record.getLevel() == Level.SEVERE ? "ERROR" : record.getLevel().getName()).append(' ');
            }
            line.append(formatMessage(record)).append(System.lineSeparator());
            if (record.getThrown() != null)
            {
                final StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append(trace);
            }
            return line.toString();
        }
    }

}
