package dev.sdp.cli;

import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code sdp} command. Errors are one line on standard error and a non-zero
 * exit status (2 for wrong usage, 1 for failures), never a stack trace.
 */
@Command(name = "sdp", mixinStandardHelpOptions = true, version = "sdp 0.1.0",
        description = "SDP: TLS 1.3 record protection inside a message transport.",
        subcommands = {DemoCommand.class, KeygenCommand.class, ServerCommand.class, CallCommand.class, BenchCommand.class,
            KvServerCommand.class, KvCommand.class, SelfCheckCommand.class})
public final class Main implements Callable<Integer> {
    /** JSSE nests class names in its messages ("...: sun.security...SunCertPathBuilderException: unable to find..."). */
    private static final Pattern CLASS_NAME = Pattern.compile("(?:[a-z]\\w*\\.)+[A-Z]\\w*(?:Exception|Error): ");
    private static final String FAILED = " failed";

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return usageError(spec);
    }

    /** A command that needs a subcommand and got none: its usage on standard error, and the status of wrong usage. */
    static int usageError(CommandLine.Model.CommandSpec spec) {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** The command line with the project's error handling, for {@link #main} and tests. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println(e.getCommandLine().getCommandSpec().qualifiedName() + ": " + e.getMessage()
                    + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return 2;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            PrintWriter err = command.getErr();
            err.println(command.getCommandSpec().qualifiedName() + ": " + message(e));
            err.flush();
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cli;
    }

    /**
     * A one-line account of a failure for users: its message (its cause's, for the wrappers of
     * concurrency), without class names, with addresses as users write them, each thing said once.
     */
    static String message(Throwable e) {
        Throwable t = (e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null ? e.getCause() : e;
        String text = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        if (t instanceof NoSuchFileException) {
            text = "no such file: " + text;
        }
        return withoutRepeats(Addresses.inMessage(CLASS_NAME.matcher(text).replaceAll("").replace('\n', ' ')));
    }

    /**
     * Layers of a library each add their words: "X failed: X did not complete" says only the
     * second, and "Y failed: Y failed: why" says "Y failed" once.
     */
    private static String withoutRepeats(String text) {
        List<String> parts = new ArrayList<>(List.of(text.split(": ", -1)));
        for (int i = parts.size() - 2; i >= 0; i--) {
            String part = parts.get(i);
            String next = parts.get(i + 1);
            boolean saidAgain = part.endsWith(FAILED) && next.startsWith(part.substring(0, part.length() - FAILED.length()) + " ");
            if (part.equals(next) || saidAgain) {
                parts.remove(i);
            }
        }
        return String.join(": ", parts);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
