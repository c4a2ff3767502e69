package dev.sdp.cli;

import dev.sdp.credentials.DemoCredentials;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sdp keygen}: a throw-away CA with server and client credentials, as PEM files. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = "Write a throw-away CA, server and client certificates and keys (PEM) for demos and tests.")
final class KeygenCommand implements Callable<Integer> {
    /** A DNS label (RFC 1123): letters, digits and inner hyphens, at most 63 characters. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final int LONGEST_NAME = 253;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory to write into (created if needed)")
    private Path out;

    @Option(names = "--name", paramLabel = "NAME", split = ",",
            description = "host names (a leftmost '*.' for a wildcard) or IP addresses the server certificate covers"
                    + " (default: localhost, 127.0.0.1, ::1)")
    private List<String> names = List.of();

    @Override
    public Integer call() {
        names.forEach(KeygenCommand::requireHostNameOrAddress);
        Path dir = DemoCredentials.generate(out, names);
        System.out.println("wrote " + DemoCredentials.CA_CERT + ", " + DemoCredentials.SERVER_CERT + ", " + DemoCredentials.SERVER_KEY
                + ", " + DemoCredentials.CLIENT_CERT + ", " + DemoCredentials.CLIENT_KEY + " to " + dir.toAbsolutePath());
        System.out.println("server certificate covers: " + String.join(", ", names.isEmpty() ? DemoCredentials.LOOPBACK_NAMES : names));
        return 0;
    }

    /**
     * Refuses what no client could match a certificate name against: a DNS name is dot-separated
     * labels whose last is not all digits ("1.2.3" is a mistyped address, not a name); an address
     * is four decimal numbers or an IPv6 literal.
     */
    private static void requireHostNameOrAddress(String name) {
        if (name.contains(":")) {
            try {
                InetAddress.ofLiteral(name);
                return;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--name '" + name + "' is not an IPv6 address");
            }
        }
        if (name.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
            if (!IPV4.matcher(name).matches()) {
                throw new IllegalArgumentException("--name '" + name + "' is not an IPv4 address (four numbers 0..255)");
            }
            return;
        }
        String[] labels = name.startsWith("*.") ? name.substring(2).split("\\.", -1) : name.split("\\.", -1);
        boolean valid = name.length() <= LONGEST_NAME && !labels[labels.length - 1].chars().allMatch(Character::isDigit);
        for (String label : labels) {
            valid &= LABEL.matcher(label).matches();
        }
        if (!valid) {
            throw new IllegalArgumentException("--name '" + name + "' is not a DNS name (dot-separated labels of letters, digits"
                    + " and inner hyphens, at most 63 characters each; a wildcard only as a leftmost '*.')");
        }
    }
}
