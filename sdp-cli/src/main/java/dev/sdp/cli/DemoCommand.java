package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.SocketStatistics;
import dev.sdp.Statistic;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.transport.TransportConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sdp demo}: everything in one command with no setup: throw-away credentials, an SDP
 * server and client on loopback, the TLS 1.3 handshake, encrypted RPCs of several sizes with
 * integrity checks, and a short side-by-side run against TLS 1.3 over TCP with a chart.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Show SDP working end to end on loopback and compare it with TLS 1.3/TCP (under a minute).")
final class DemoCommand implements Callable<Integer> {
    private static final int[] SIZES = {64, 1024, 65536, 1 << 20};

    @Option(names = "--out", paramLabel = "DIR", description = "where to write credentials and the chart (default: a new temporary directory)")
    private Path out;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "500", description = "round trips per size in the comparison (default ${DEFAULT-VALUE})")
    private int iterations;

    @Mixin
    private TransportOptions transport;

    private static void step(String text) {
        System.out.println("==> " + text);
        System.out.flush();
    }

    @Override
    public Integer call() throws Exception {
        Checks.atLeast("--iterations", iterations, 1);
        TransportConfig config = transport.config(RttBenchmark.LOOPBACK);
        Path dir = out != null ? Files.createDirectories(out) : Files.createTempDirectory("sdp-demo");
        step("1/5 generating a throw-away CA, server and client certificates in " + dir);
        Path certs = DemoCredentials.generate(dir.resolve("certs"), List.of());

        step("2/5 starting an SDP echo server on loopback (TLS 1.3, certificate from that CA)");
        try (SdpSocket server = Endpoints.open(Endpoints.secure(SdpSocket.builder(), certs, false, true, false)
                     .handler(r -> r.reply(r.payload())), RttBenchmark.LOOPBACK, config);
             SdpSocket client = Endpoints.open(SdpSocket.builder().tls(HandshakeConfig.builder(Endpoints.clientContext(certs)).build()),
                     RttBenchmark.LOOPBACK, config)) {
            InetSocketAddress to = new InetSocketAddress(java.net.InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}),
                    server.localAddress().getPort());
            System.out.println("    server at " + Addresses.format(server.localAddress()));

            step("3/5 first call: TLS 1.3 handshake over SDP's own UDP port, then the request");
            long t0 = System.nanoTime();
            client.callBlocking(to, ByteBuffer.wrap("hello".getBytes()));
            long handshakeMicros = (System.nanoTime() - t0) / 1000;
            var tls = client.tlsSession(to).orElseThrow();
            System.out.printf(Locale.ROOT, "    done in %.1f ms: %s, %s, server verified as %s (host name 'localhost' checked)%n",
                    handshakeMicros / 1000.0, tls.getProtocol(), tls.getCipherSuite(), tls.getPeerPrincipal().getName());

            step("4/5 encrypted RPCs of several sizes, every echo checked byte for byte (SHA-256 shown)");
            SplittableRandom random = new SplittableRandom();
            for (int size : SIZES) {
                int n = size >= 1 << 20 ? 20 : size >= 65536 ? 100 : 500;
                MessageDigest sent = MessageDigest.getInstance("SHA-256");
                MessageDigest received = MessageDigest.getInstance("SHA-256");
                for (int i = 0; i < n; i++) {
                    byte[] request = new byte[size];
                    random.nextBytes(request);
                    sent.update(request);
                    ByteBuffer response = client.callBlocking(to, ByteBuffer.wrap(request));
                    if (!response.equals(ByteBuffer.wrap(request))) {
                        throw new IllegalStateException("echo of " + size + " bytes differs from the request");
                    }
                    received.update(response);
                }
                byte[] digest = sent.digest();
                if (!MessageDigest.isEqual(digest, received.digest())) {
                    throw new IllegalStateException("the echoes of " + size + " bytes differ from the requests");
                }
                System.out.printf(Locale.ROOT, "    %-8s x %3d  every echo identical  sha256 of all requests = of all echoes = %s…%n",
                        BarChart.sizeLabel(size), n, HexFormat.of().formatHex(digest, 0, 8));
            }
            SocketStatistics stats = client.statistics();
            System.out.printf("    client: %d records sealed, %d rejected; key epoch %d%n", stats.get(Statistic.RECORDS_SEALED),
                    stats.recordsRejected(), client.keyEpochs(to).orElseThrow().sendEpoch());
        }

        step("5/5 side by side on loopback: SDP vs TLS 1.3/TCP (JSSE, same cipher suite, TCP_NODELAY), interleaved");
        List<RttBenchmark.Result> results = RttBenchmark.run(List.of("sdp", "tls-tcp"), certs, config, SIZES, iterations, 2, 3_000_000_000L,
                s -> System.out.println("    " + s));
        System.out.println();
        System.out.print(RttReport.table(results));
        Path chart = dir.resolve("rtt.png");
        RttReport.chart(results, "SDP vs TLS 1.3/TCP round trips on loopback (sdp demo)", chart);
        System.out.println();
        System.out.println("chart written to " + chart.toAbsolutePath());
        System.out.println("full comparison: sdp bench rtt --chart rtt.png   (adds sdp-plain and tcp)");
        return 0;
    }
}
