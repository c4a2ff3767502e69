package dev.sdp.cli;

import dev.sdp.credentials.DemoCredentials;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sdp keygen}: a throw-away CA with server and client credentials, as PEM files. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = "Write a throw-away CA, server and client certificates and keys (PEM) for demos and tests.")
final class KeygenCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory to write into (created if needed)")
    private Path out;

    @Option(names = "--name", paramLabel = "NAME", split = ",",
            description = "host names or IP addresses the server certificate covers (default: localhost, 127.0.0.1, ::1)")
    private List<String> names = List.of();

    @Override
    public Integer call() {
        Path dir = DemoCredentials.generate(out, names);
        System.out.println("wrote " + DemoCredentials.CA_CERT + ", " + DemoCredentials.SERVER_CERT + ", " + DemoCredentials.SERVER_KEY
                + ", " + DemoCredentials.CLIENT_CERT + ", " + DemoCredentials.CLIENT_KEY + " to " + dir.toAbsolutePath());
        System.out.println("server certificate covers: " + String.join(", ", names.isEmpty() ? DemoCredentials.LOOPBACK_NAMES : names));
        return 0;
    }
}
