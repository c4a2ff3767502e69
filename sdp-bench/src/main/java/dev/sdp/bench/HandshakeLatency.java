package dev.sdp.bench;

import dev.sdp.SdpSocket;
import dev.sdp.cli.TcpEcho;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.PemCredentials;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.HdrHistogram.Histogram;

/**
 * First-RPC and steady-state latency with TLS 1.3 on loopback, SDP against TLS/TCP in one run:
 * for each new client, the time from the first call to its answer (handshake included: for
 * TLS/TCP the TCP connect and TLS handshake, for SDP the handshake over SDP), then the round trips
 * that follow on the same session. Clients alternate between the transports; both verify the
 * server's certificate chain against the same throw-away CA (neither checks the host name, which
 * the benchmark's self-made certificate for TCP would not pass).
 *
 * <p>Usage: {@code HandshakeLatency [clients] [steadyCallsPerClient] [size]} (defaults 300, 200, 64).
 */
public final class HandshakeLatency {
    private static final int WARMUP_CLIENTS = 50;

    private HandshakeLatency() {
    }

    private record Latencies(Histogram first, Histogram steady) {
        Latencies() {
            this(new Histogram(3), new Histogram(3));
        }
    }

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int steadyCalls = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        Path dir = DemoCredentials.generate(Files.createTempDirectory("sdp-bench-pki"), List.of());
        SSLContext serverTls = PemCredentials.sslContext(dir.resolve(DemoCredentials.SERVER_CERT), dir.resolve(DemoCredentials.SERVER_KEY),
                dir.resolve(DemoCredentials.CA_CERT));
        SSLContext clientTls = PemCredentials.sslContext(null, null, dir.resolve(DemoCredentials.CA_CERT));
        HandshakeConfig clientConfig = HandshakeConfig.builder(clientTls).verifyHostname(false).build();
        byte[] request = new byte[size];
        Latencies sdp = new Latencies();
        Latencies tlsTcp = new Latencies();
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        // Every client comes from 127.0.0.1, one after another: lift the per-source handshake rate,
        // which protects a server from one address and would otherwise be what this measures.
        try (SdpSocket server = SdpSocket.builder().bind(loopback).tls(HandshakeConfig.builder(serverTls)
                        .handshakesPerSecondPerSource(1_000_000).build())
                .handler(r -> r.reply(r.payload())).build();
             var tcpServer = TcpEcho.serve(loopback, serverTls)) {
            InetSocketAddress sdpAddress = server.localAddress();
            InetSocketAddress tcpAddress = new InetSocketAddress("127.0.0.1", tcpServer.getLocalPort());
            for (int i = 0; i < WARMUP_CLIENTS + clients; i++) {
                boolean measured = i >= WARMUP_CLIENTS;
                try (SdpSocket client = SdpSocket.builder().bind(loopback).tls(clientConfig).build()) {
                    long start = System.nanoTime();
                    client.callBlocking(sdpAddress, ByteBuffer.wrap(request));
                    record(measured, sdp.first, start);
                    for (int c = 0; c < steadyCalls; c++) {
                        long t = System.nanoTime();
                        client.callBlocking(sdpAddress, ByteBuffer.wrap(request));
                        record(measured, sdp.steady, t);
                    }
                }
                long start = System.nanoTime();
                try (TcpEcho.Client client = new TcpEcho.Client(tcpAddress, clientTls)) {
                    client.roundTrip(request, size);
                    record(measured, tlsTcp.first, start);
                    for (int c = 0; c < steadyCalls; c++) {
                        long t = System.nanoTime();
                        client.roundTrip(request, size);
                        record(measured, tlsTcp.steady, t);
                    }
                }
            }
            System.out.printf("first RPC (handshake included) and steady-state RTT, %d B, %d clients each, %d calls per client%n",
                    size, clients, steadyCalls);
            System.out.printf("%-8s %14s %14s %15s %15s%n", "transport", "first_p50_us", "first_p99_us", "steady_p50_us", "steady_p99_us");
            print("sdp", sdp);
            print("tls-tcp", tlsTcp);
            System.out.printf("sdp/tls-tcp p50: first RPC %.2fx, steady state %.2fx%n",
                    (double) sdp.first.getValueAtPercentile(50) / tlsTcp.first.getValueAtPercentile(50),
                    (double) sdp.steady.getValueAtPercentile(50) / tlsTcp.steady.getValueAtPercentile(50));
            System.out.println("server: " + server.statistics());
        }
    }

    private static void record(boolean measured, Histogram h, long start) {
        if (measured) {
            h.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
        }
    }

    private static void print(String name, Latencies l) {
        System.out.printf("%-9s %14d %14d %15d %15d%n", name, l.first.getValueAtPercentile(50), l.first.getValueAtPercentile(99),
                l.steady.getValueAtPercentile(50), l.steady.getValueAtPercentile(99));
    }
}
