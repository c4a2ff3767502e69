package dev.sdp.cli;

import java.io.PrintWriter;
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
public final class Main implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
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

    /** A one-line account of a failure: its message, and its cause's when that says more. */
    static String message(Throwable e) {
        Throwable t = e instanceof java.util.concurrent.CompletionException || e instanceof java.util.concurrent.ExecutionException
                ? e.getCause() : e;
        String text = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        if (t instanceof java.nio.file.NoSuchFileException) {
            text = "no such file: " + text;
        } else if (t instanceof java.net.BindException) {
            text = "cannot bind: " + text;
        }
        // JSSE nests class names in its messages ("...: sun.security...SunCertPathBuilderException: unable to find..."):
        // users want the words.
        return text.replaceAll("(?:[a-z]\\w*\\.)+[A-Z]\\w*(?:Exception|Error): ", "").replace('\n', ' ');
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
