package io.berth.systest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.io.File;

/**
 * Runs commands to completion. Output goes to temporary files, not pipes, so a command that leaves a child
 * behind holding its stdout cannot hang the test.
 */
public final class Sh
{
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Sh()
    {
    }

    public static Result run(String... command)
    {
        return run(DEFAULT_TIMEOUT, Map.of(), List.of(command));
    }

    public static Result run(Duration timeout, String... command)
    {
        return run(timeout, Map.of(), List.of(command));
    }

    public static Result run(Duration timeout, Map<String, String> env, List<String> command)
    {
        Path out = null;
        Path err = null;
        try
        {
            out = Files.createTempFile("berth-sh-", ".out");
            err = Files.createTempFile("berth-sh-", ".err");
            final ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
            pb.environment().putAll(env);
            final Process p = pb.start();
            int exit;
            if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                exit = p.exitValue();
            }
            else
            {
                killTree(p.toHandle());
                p.waitFor(5, TimeUnit.SECONDS);
                exit = -1;
            }
            String e = Files.readString(err, StandardCharsets.UTF_8);
            if (exit == -1)
            {
                e += "\n[TIMEOUT after " + timeout.toSeconds() + " s: killed]";
            }
            return new Result(List.copyOf(command), exit, Files.readString(out, StandardCharsets.UTF_8), e);
        }
        catch (IOException e)
        {
            return new Result(List.copyOf(command), 127, "", "cannot run: " + e);
        }
        catch (InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
        finally
        {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** SIGKILLs a process and everything below it, children first. */
    public static void killTree(ProcessHandle handle)
    {
        handle.descendants().forEach(ProcessHandle::destroyForcibly);
        handle.destroyForcibly();
    }

    public static List<String> concat(List<String> head, String... tail)
    {
        final List<String> all = new ArrayList<>(head);
        all.addAll(Arrays.asList(tail));
        return all;
    }

    static void deleteQuietly(Path p)
    {
        if (p == null)
        {
            return;
        }
        try
        {
            Files.deleteIfExists(p);
        }
        catch (IOException ignored)
        {
            // best effort
        }
    }

    static void deleteTree(Path root)
    {
        if (root == null || !Files.exists(root))
        {
            return;
        }
        try (var walk = Files.walk(root))
        {
            walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(Sh::deleteQuietly);
        }
        catch (IOException | UncheckedIOException ignored)
        {
            // best effort
        }
    }
}
