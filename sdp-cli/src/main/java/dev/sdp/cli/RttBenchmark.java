package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.SocketStatistics;
import dev.sdp.Statistic;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.transport.TransportConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.HdrHistogram.Histogram;

/**
 * Unloaded round-trip time per message size and transport on loopback, all transports in one run
 * and interleaved (the paper's Figure 5): SDP with keys from a TLS 1.3 handshake, SDP in plaintext
 * mode, TLS 1.3 over TCP (JSSE, TLS_AES_128_GCM_SHA256, TCP_NODELAY, length-prefixed echo on one
 * connection), the same with Netty and OpenSSL ({@link OpenSslEcho}), and plain TCP. Each transport
 * is warmed up first; then each size runs a warm-up round and the measured rounds, transport after
 * transport within each round.
 */
public final class RttBenchmark {
    /** The transports {@link #open} knows, in the order results are reported. */
    public static final List<String> TRANSPORTS = List.of("sdp", "sdp-plain", "tls-tcp", OpenSslEcho.NAME, "tcp");
    /** Where every transport's server and client are bound. */
    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final int WARMUP_ROUND_TRIPS = 30_000;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    /** One round-trip client with its echo server. */
    public interface Transport extends AutoCloseable {
        /** Sends {@code request} (position to limit) and waits for the echo. */
        void roundTrip(ByteBuffer request) throws Exception;

        /** Called before and after each measured slice, for transports whose peer busy-polls only then. */
        default void active(boolean on) {
        }

        /** What the transport counted that explains its figures (SDP: packets and retransmissions), or "". */
        default String counters() {
            return "";
        }

        @Override
        void close();
    }

    /** Round-trip times of one transport and size. */
    public record Result(String transport, int size, double p50Us, double p99Us, double cpuUsPerRpc, long samples) {
    }

    private RttBenchmark() {
    }

    /**
     * Opens one of {@link #TRANSPORTS} on loopback; the TLS ones use the throw-away credentials in
     * {@code certDir} ({@link DemoCredentials#generate}), with the client verifying the server.
     */
    public static Transport open(String name, Path certDir, TransportConfig config) throws IOException, GeneralSecurityException {
        return switch (name) {
            case "sdp", "sdp-plain" -> sdp(name.equals("sdp") ? certDir : null, config);
            case "tls-tcp" -> tcp(Endpoints.serverContext(certDir), Endpoints.clientContext(certDir));
            case OpenSslEcho.NAME -> openSsl(certDir);
            case "tcp" -> tcp(null, null);
            default -> throw new IllegalArgumentException("unknown transport '" + name + "' (known: " + String.join(", ", TRANSPORTS) + ")");
        };
    }

    private static Transport sdp(Path certDir, TransportConfig config) throws IOException, GeneralSecurityException {
        SdpSocket.Builder server = SdpSocket.builder().bind(LOOPBACK).config(config).handler(r -> r.reply(r.payload()));
        SdpSocket.Builder client = SdpSocket.builder().bind(LOOPBACK).config(config);
        if (certDir == null) {
            server.plaintextPeers(true);
            client.plaintextPeers(true);
        } else {
            server.tls(HandshakeConfig.builder(Endpoints.serverContext(certDir)).build());
            client.tls(HandshakeConfig.builder(Endpoints.clientContext(certDir)).build());
        }
        SdpSocket s = server.build();
        SdpSocket c = client.build();
        InetSocketAddress to = s.localAddress();
        return new Transport() {
            @Override
            public void roundTrip(ByteBuffer request) throws Exception {
                c.callBlocking(to, request);
            }

            @Override
            public String counters() {
                return "client " + counters(c) + "; server " + counters(s);
            }

            private static String counters(SdpSocket socket) {
                SocketStatistics stats = socket.statistics();
                return "packets_out=" + stats.get(Statistic.PACKETS_OUT) + " data_retransmitted=" + stats.get(Statistic.DATA_RETRANSMITTED)
                        + " resends_sent=" + stats.get(Statistic.RESENDS_SENT) + " send_buffer_full=" + stats.get(Statistic.SEND_BUFFER_FULL)
                        + " datagrams_not_sent=" + stats.get(Statistic.DATAGRAMS_NOT_SENT);
            }

            @Override
            public void close() {
                c.close();
                s.close();
            }
        };
    }

    private static Transport tcp(SSLContext serverTls, SSLContext clientTls) throws IOException {
        ServerSocket server = TcpEcho.serve(LOOPBACK, serverTls);
        try {
            TcpEcho.Client client = new TcpEcho.Client(new InetSocketAddress("127.0.0.1", server.getLocalPort()), clientTls);
            return closing(client::roundTrip, client, server);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static Transport openSsl(Path certDir) throws IOException {
        OpenSslEcho.Server server = OpenSslEcho.serve(LOOPBACK, certDir);
        OpenSslEcho.Client client = null;
        try {
            client = new OpenSslEcho.Client(certDir);
            OpenSslEcho.Connection connection = client.connect(server.address());
            return closing(request -> connection.call(request, CALL_TIMEOUT), client, server);
        } catch (IOException | RuntimeException e) {
            if (client != null) {
                client.close();
            }
            server.close();
            throw e;
        }
    }

    /** One round trip of a TCP baseline. */
    @FunctionalInterface
    private interface RoundTrip {
        void roundTrip(ByteBuffer request) throws Exception;
    }

    /** A TCP baseline: {@code roundTrip} per round trip, and closing the client, then the server. */
    private static Transport closing(RoundTrip roundTrip, AutoCloseable client, AutoCloseable server) {
        return new Transport() {
            @Override
            public void roundTrip(ByteBuffer request) throws Exception {
                roundTrip.roundTrip(request);
            }

            @Override
            public void close() {
                try {
                    client.close();
                    server.close();
                } catch (Exception e) {
                    // Closing a benchmark connection: nothing to recover.
                }
            }
        };
    }

    /** Round trips per measured round for a size: fewer for large messages, so every size takes similar time. */
    static int iterationsFor(int size, int iterations) {
        return size >= 1 << 20 ? Math.max(10, iterations / 50) : size >= 65536 ? Math.max(20, iterations / 5) : iterations;
    }

    /**
     * Measures every transport at every size: a warm-up of 64-byte round trips per transport (at
     * least {@code iterations}, and more until {@code warmupNanos} have passed, up to 30 000), then
     * per size one unmeasured and {@code rounds} measured rounds, interleaved.
     * Transports that cannot carry a size (a UDP datagram, say) are skipped by {@code fits}.
     */
    public static List<Result> measure(Map<String, Transport> transports, int[] sizes, int iterations, int rounds, long warmupNanos,
                                       java.util.function.BiPredicate<String, Integer> fits, Consumer<String> progress) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        ByteBuffer small = ByteBuffer.allocate(64);
        for (var e : transports.entrySet()) {
            // Until the JIT has compiled the record path, an encrypted round trip costs several times
            // its steady-state time: warm up by count and time, so short runs measure compiled code.
            progress.accept("warming up " + e.getKey());
            e.getValue().active(true);
            long end = System.nanoTime() + warmupNanos;
            for (int i = 0; i < WARMUP_ROUND_TRIPS && (i < iterations || System.nanoTime() < end); i++) {
                e.getValue().roundTrip(small.clear());
            }
            e.getValue().active(false);
        }
        List<Result> results = new ArrayList<>();
        for (int size : sizes) {
            progress.accept("measuring " + size + " B");
            Map<String, Histogram> histograms = new LinkedHashMap<>();
            Map<String, long[]> cpu = new LinkedHashMap<>();
            ByteBuffer request = ByteBuffer.allocate(size);
            int n = iterationsFor(size, iterations);
            for (int round = -1; round < rounds; round++) {
                for (var e : transports.entrySet()) {
                    if (!fits.test(e.getKey(), size)) {
                        continue;
                    }
                    Histogram h = histograms.computeIfAbsent(e.getKey(), k -> new Histogram(3));
                    e.getValue().active(true);
                    long cpuStart = os.getProcessCpuTime();
                    for (int i = 0; i < n; i++) {
                        request.clear();
                        long t0 = System.nanoTime();
                        e.getValue().roundTrip(request);
                        if (round >= 0) {
                            h.recordValue(System.nanoTime() - t0);
                        }
                    }
                    e.getValue().active(false);
                    if (round >= 0) {
                        long[] c = cpu.computeIfAbsent(e.getKey(), k -> new long[2]);
                        c[0] += os.getProcessCpuTime() - cpuStart;
                        c[1] += n;
                    }
                }
            }
            histograms.forEach((name, h) -> results.add(new Result(name, size, h.getValueAtPercentile(50) / 1000.0,
                    h.getValueAtPercentile(99) / 1000.0, cpu.get(name)[0] / 1000.0 / cpu.get(name)[1], h.getTotalCount())));
        }
        return results;
    }

    /**
     * The settings that shape SDP's figures, for the progress output, and whether they are what
     * users get by default: figures measured with other settings belong to another SDP.
     */
    static String settings(TransportConfig config) {
        TransportConfig defaults = TransportConfig.defaults();
        return describe(config) + (describe(config).equals(describe(defaults)) ? ", the defaults of sdp server and sdp call"
                : "; the defaults of sdp server and sdp call differ: " + describe(defaults));
    }

    private static String describe(TransportConfig config) {
        return "MTU " + config.mtu() + " (" + config.maxDatagram() + "-byte datagrams), " + BarChart.sizeLabel(config.unscheduledBytes())
                + " unscheduled, " + BarChart.sizeLabel(config.grantWindow()) + " grant window";
    }

    /** Opens the named transports, measures them, and closes them. */
    public static List<Result> run(List<String> names, Path certDir, TransportConfig config, int[] sizes, int iterations, int rounds,
                                   long warmupNanos, Consumer<String> progress) throws Exception {
        progress.accept("SDP: " + settings(config));
        Map<String, Transport> transports = new LinkedHashMap<>();
        try {
            for (String name : names) {
                transports.put(name, open(name, certDir, config));
            }
            return measure(transports, sizes, iterations, rounds, warmupNanos, (name, size) -> true, progress);
        } finally {
            transports.values().forEach(Transport::close);
        }
    }
}
