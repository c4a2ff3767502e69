package dev.sdp.bench;

import dev.sdp.SdpSocket;
import dev.sdp.cli.TcpEcho;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.transport.TransportConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Goodput of echoed large messages between two hosts (two network namespaces joined by a veth
 * pair in {@code bin/bench-veth}): encrypted SDP, plaintext SDP, TLS 1.3 over TCP (JSSE) and plain
 * TCP, interleaved in one run over the same path.
 *
 * <p>Usage: {@code server HOST BASE_PORT KEYSTORE C2S S2C CLIENT_HOST MTU} (serves until standard input closes) and
 * {@code client HOST SERVER_HOST BASE_PORT KEYSTORE C2S S2C MTU}. The server listens on BASE_PORT
 * (SDP), +1 (SDP plaintext), +2 (TLS/TCP) and +3 (TCP); the client binds SDP to BASE_PORT+10 and +11.
 * C2S and S2C are the SDP traffic secrets in hex; the PKCS#12 keystore (password "sdp-bench") holds
 * the TLS certificate both ends use.
 */
public final class PathGoodput {
    private static final char[] KEYSTORE_PASSWORD = "sdp-bench".toCharArray();
    private static final CipherSuite SUITE = CipherSuite.TLS_AES_128_GCM_SHA256;

    private PathGoodput() {
    }

    private static TransportConfig config(int mtu) {
        return TransportConfig.builder().mtu(mtu).unscheduledBytes(256 << 10).grantWindow(256 << 10)
                .maxMessageSize(128L << 20).rpcTimeout(Duration.ofSeconds(30)).build();
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("server")) {
            serve(args[1], Integer.parseInt(args[2]), Path.of(args[3]), HexFormat.of().parseHex(args[4]), HexFormat.of().parseHex(args[5]),
                    args[6], Integer.parseInt(args[7]));
        } else {
            measure(args[1], args[2], Integer.parseInt(args[3]), Path.of(args[4]), HexFormat.of().parseHex(args[5]),
                    HexFormat.of().parseHex(args[6]), Integer.parseInt(args[7]));
        }
    }

    private static void serve(String host, int base, Path keystore, byte[] c2s, byte[] s2c, String clientHost, int mtu) throws Exception {
        TransportConfig config = config(mtu);
        SSLContext tls = TcpEcho.tlsContext(keystore, KEYSTORE_PASSWORD);
        try (SdpSocket sdp = SdpSocket.builder().bind(new InetSocketAddress(host, base)).config(config).handler(r -> r.reply(r.payload())).build();
             SdpSocket plain = SdpSocket.builder().bind(new InetSocketAddress(host, base + 1)).config(config).handler(r -> r.reply(r.payload())).build();
             var tlsServer = TcpEcho.serve(new InetSocketAddress(host, base + 2), tls);
             var tcpServer = TcpEcho.serve(new InetSocketAddress(host, base + 3), null)) {
            sdp.installKeys(new InetSocketAddress(clientHost, base + 10), EpochKeys.initial(SUITE, s2c), EpochKeys.initial(SUITE, c2s));
            plain.installPlaintext(new InetSocketAddress(clientHost, base + 11));
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0) {
                // Serve until the caller closes our input.
            }
        }
    }

    private interface Echo {
        void roundTrip(byte[] message, int length) throws Exception;
    }

    private static void measure(String host, String serverHost, int base, Path keystore, byte[] c2s, byte[] s2c, int mtu) throws Exception {
        TransportConfig config = config(mtu);
        InetSocketAddress sdpServer = new InetSocketAddress(serverHost, base);
        InetSocketAddress plainServer = new InetSocketAddress(serverHost, base + 1);
        SSLContext tls = TcpEcho.tlsContext(keystore, KEYSTORE_PASSWORD);
        try (SdpSocket sdp = SdpSocket.builder().bind(new InetSocketAddress(host, base + 10)).config(config).build();
             SdpSocket plain = SdpSocket.builder().bind(new InetSocketAddress(host, base + 11)).config(config).build();
             TcpEcho.Client tlsClient = new TcpEcho.Client(new InetSocketAddress(serverHost, base + 2), tls);
             TcpEcho.Client tcpClient = new TcpEcho.Client(new InetSocketAddress(serverHost, base + 3), null)) {
            sdp.installKeys(sdpServer, EpochKeys.initial(SUITE, c2s), EpochKeys.initial(SUITE, s2c));
            plain.installPlaintext(plainServer);
            Map<String, Echo> transports = new LinkedHashMap<>();
            transports.put("sdp", (m, n) -> sdp.callBlocking(sdpServer, ByteBuffer.wrap(m, 0, n)));
            transports.put("sdp-plain", (m, n) -> plain.callBlocking(plainServer, ByteBuffer.wrap(m, 0, n)));
            transports.put("tls-tcp", tlsClient::roundTrip);
            transports.put("tcp", tcpClient::roundTrip);
            System.out.println("transport,mtu,message_bytes,goodput_MB_per_s");
            for (int size : new int[] {1 << 20, 64 << 20}) {
                byte[] message = new byte[size];
                new java.util.Random(size).nextBytes(message);
                int perRound = size == 1 << 20 ? 20 : 1;
                Map<String, long[]> totals = new LinkedHashMap<>();
                for (int round = -1; round < 4; round++) {
                    for (var e : transports.entrySet()) {
                        long start = System.nanoTime();
                        for (int i = 0; i < perRound; i++) {
                            e.getValue().roundTrip(message, size);
                        }
                        long elapsed = System.nanoTime() - start;
                        if (round >= 0) {
                            long[] t = totals.computeIfAbsent(e.getKey(), k -> new long[2]);
                            t[0] += elapsed;
                            t[1] += perRound;
                        }
                    }
                }
                for (var e : totals.entrySet()) {
                    // Echo: request and response each carry `size` bytes.
                    System.out.printf(Locale.ROOT, "%s,%d,%d,%.0f%n", e.getKey(), mtu, size,
                            2.0 * size * e.getValue()[1] / (e.getValue()[0] / 1e9) / 1e6);
                }
            }
        }
    }
}
