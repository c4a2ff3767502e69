package dev.sdp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code sdp} command. */
@Command(name = "sdp", mixinStandardHelpOptions = true, version = "sdp 0.1.0",
        description = "SDP: TLS 1.3 record protection inside a message transport.",
        subcommands = {SelfCheckCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
