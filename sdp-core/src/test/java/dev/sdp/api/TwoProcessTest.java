package dev.sdp.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sdp.DatagramIo;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.testing.NetnsPair;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Encrypted RPCs between two JVMs, as deployments run them: with a TLS 1.3 handshake and server
 * certificate verification ({@code tls}), with client certificates required too ({@code mtls}), and
 * with keys the application installs ({@code keys}); on loopback, and across two network namespaces
 * joined by a veth pair (skipped, saying why, where namespaces cannot be created).
 */
class TwoProcessTest {
    private static final int COUNT = 200;

    private static String security(String mode, Path certDir) {
        if (mode.equals("keys")) {
            byte[] secrets = new byte[64];
            new SecureRandom().nextBytes(secrets);
            String hex = HexFormat.of().formatHex(secrets);
            return "keys=" + hex.substring(0, 64) + "," + hex.substring(64);
        }
        return mode + "=" + certDir;
    }

    private static int freePort(String host) throws Exception {
        try (DatagramChannel c = DatagramChannel.open().bind(new InetSocketAddress(host, 0))) {
            return ((InetSocketAddress) c.getLocalAddress()).getPort();
        }
    }

    private static void check(String mode, Map<String, Long> counts) {
        assertEquals(COUNT, counts.get("completed"), () -> "every RPC completed with identical bytes: " + counts);
        assertEquals(mode.equals("keys") ? 0 : 1, counts.get("handshakes"), () -> "handshakes: " + counts);
    }

    private static Map<String, Long> run(String mode, DatagramIo io, Path certDir, String serverHost, String clientHost,
                                         Function<List<String>, ProcessBuilder> server, Function<List<String>, ProcessBuilder> client)
            throws Exception {
        int serverPort = freePort(serverHost.equals("127.0.0.1") ? serverHost : "0.0.0.0");
        int clientPort = serverPort + 1;
        String security = security(mode, certDir);
        return EchoPeerProcess.runPair(
                server.apply(EchoPeerProcess.command(io, "server", serverHost, serverPort, clientHost, clientPort, List.of(security))),
                client.apply(EchoPeerProcess.command(io, "client", clientHost, clientPort, serverHost, serverPort,
                        List.of(security, Integer.toString(COUNT), "200000", "8", "10000"))));
    }

    /** Every security mode over the Linux driver, and the java.nio driver (the fallback) with handshakes. */
    static Stream<Arguments> modesAndDrivers() {
        return Stream.of(Arguments.of("tls", DatagramIo.LINUX), Arguments.of("mtls", DatagramIo.LINUX), Arguments.of("keys", DatagramIo.LINUX),
                Arguments.of("tls", DatagramIo.NIO));
    }

    @ParameterizedTest(name = "{0} on loopback, {1} driver")
    @MethodSource("modesAndDrivers")
    void onLoopback(String mode, DatagramIo io, @TempDir Path dir) throws Exception {
        Path certs = DemoCredentials.generate(dir.resolve("certs"), List.of());
        check(mode, run(mode, io, certs, "127.0.0.1", "127.0.0.1", ProcessBuilder::new, ProcessBuilder::new));
    }

    @ParameterizedTest(name = "{0} across network namespaces, {1} driver")
    @MethodSource("modesAndDrivers")
    void acrossNamespaces(String mode, DatagramIo io, @TempDir Path dir) throws Exception {
        String reason = NetnsPair.unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "namespace tests skipped: " + reason);
        try (NetnsPair net = NetnsPair.create(1500)) {
            Path certs = DemoCredentials.generate(dir.resolve("certs"), List.of(net.addressB));
            check(mode, run(mode, io, certs, net.addressB, net.addressA, command -> net.inNamespace(false, command),
                    command -> net.inNamespace(true, command)));
        }
    }
}
