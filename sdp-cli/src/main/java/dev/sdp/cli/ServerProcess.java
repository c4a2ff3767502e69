package dev.sdp.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A server in a JVM of its own, run from this JVM's class path with native access: started, given
 * a line on its standard input, waited for until it prints its first line (within a bound), its CPU time read from {@code /proc}, and
 * stopped by closing its standard input, then killed if it has not exited within a bound.
 *
 * <p>Design: the server is meant to exit by itself when its standard input closes, which also
 * happens when this JVM dies in any way, and a shutdown hook kills it on an orderly exit such as
 * Ctrl-C; so no run leaves a server behind. Its standard error is this process's, so whatever it
 * reports reaches the user.
 */
final class ServerProcess implements AutoCloseable {
    /** The kernel's USER_HZ: what {@code /proc/PID/stat} counts CPU time in. */
    private static final long TICKS_PER_SECOND = 100;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Process process;
    private final Thread killOnExit;
    private final String firstLine;

    private ServerProcess(Process process, Thread killOnExit, String firstLine) {
        this.process = process;
        this.killOnExit = killOnExit;
        this.firstLine = firstLine;
    }

    /**
     * Starts {@code main} with {@code args}, writes {@code input} (a line, unless null) to its standard
     * input, and waits up to {@code within} for the first line it prints.
     */
    static ServerProcess start(Class<?> main, List<String> args, String input, Duration within) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Thread killOnExit = Thread.ofPlatform().unstarted(process::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(killOnExit);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("server-process-out").start(() -> {
            try {
                line.complete(out.readLine());
            } catch (IOException e) {
                line.completeExceptionally(e);
            }
        });
        try {
            if (input != null) {
                process.getOutputStream().write((input + "\n").getBytes(StandardCharsets.UTF_8));
                process.getOutputStream().flush();
            }
            String first = line.get(within.toNanos(), TimeUnit.NANOSECONDS);
            if (first == null) {
                throw new IOException(main.getSimpleName() + " exited with status " + process.waitFor() + " before it was ready");
            }
            return new ServerProcess(process, killOnExit, first);
        } catch (ExecutionException e) {
            stop(process, killOnExit);
            throw new IOException("cannot read from " + main.getSimpleName() + ": " + Main.message(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            stop(process, killOnExit);
            throw new IOException(main.getSimpleName() + " was not ready within " + within.toSeconds() + " s");
        } catch (IOException | InterruptedException | RuntimeException e) {
            stop(process, killOnExit);
            throw e;
        }
    }

    /** What the server printed first. */
    String firstLine() {
        return firstLine;
    }

    long pid() {
        return process.pid();
    }

    /** The server's CPU time so far, user and system, from {@code /proc/PID/stat} (so in steps of 10 ms). */
    long cpuNanos() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        // The command name, in parentheses, may hold spaces: count fields after its closing one.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 (from 0) after the name.
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * (1_000_000_000L / TICKS_PER_SECOND);
    }

    /** Closes its standard input, waits for it to exit, and kills it if it has not. */
    @Override
    public void close() {
        stop(process, killOnExit);
    }

    private static void stop(Process process, Thread killOnExit) {
        try {
            process.getOutputStream().close();
        } catch (IOException alreadyGone) {
            // It has exited: nothing to tell it.
        }
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs anyway, on a process that has exited.
        }
    }
}
