package dev.sdp.bench;

import dev.sdp.DatagramIo;
import dev.sdp.SdpSocket;
import dev.sdp.cli.TcpEcho;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.transport.TransportConfig;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Goodput of echoed large messages between two hosts (two network namespaces joined by a veth
 * pair in {@code bin/bench-veth}): encrypted SDP, plaintext SDP (each with the batched Linux driver
 * and with java.nio), TLS 1.3 over TCP (JSSE) and plain TCP, interleaved in one run over the same
 * path, with the CPU time both processes spent per GB moved.
 *
 * <p>Usage: {@code server HOST BASE_PORT KEYSTORE C2S S2C CLIENT_HOST MTU} (serves until standard
 * input closes) and {@code client HOST SERVER_HOST BASE_PORT KEYSTORE C2S S2C MTU SERVER_PID}. The
 * server listens on BASE_PORT+i for the i-th SDP transport of {@link #SDP_TRANSPORTS}, then TLS/TCP
 * and TCP; the client binds its SDP sockets to BASE_PORT+10+i. C2S and S2C are the SDP traffic
 * secrets in hex; the PKCS#12 keystore (password "sdp-bench") holds the TLS certificate both ends
 * use. The server's CPU time is read from /proc/SERVER_PID/stat (both namespaces share the PID space).
 */
public final class PathGoodput {
    private static final char[] KEYSTORE_PASSWORD = "sdp-bench".toCharArray();
    private static final CipherSuite SUITE = CipherSuite.TLS_AES_128_GCM_SHA256;

    /** An SDP transport under test: encrypted or not, over which datagram driver. */
    private record SdpTransport(String name, boolean encrypted, DatagramIo io) {
    }

    private static final List<SdpTransport> SDP_TRANSPORTS = List.of(
            new SdpTransport("sdp", true, DatagramIo.LINUX), new SdpTransport("sdp-plain", false, DatagramIo.LINUX),
            new SdpTransport("sdp-nio", true, DatagramIo.NIO), new SdpTransport("sdp-plain-nio", false, DatagramIo.NIO));
    /** Clock ticks per second in /proc/PID/stat (USER_HZ, 100 on Linux). */
    private static final double TICKS_PER_SECOND = 100;

    private PathGoodput() {
    }

    private static TransportConfig config(int mtu) {
        int window = Integer.getInteger("sdp.bench.window", 256 << 10);
        return TransportConfig.builder().mtu(mtu).unscheduledBytes(window).grantWindow(window)
                .maxMessageSize(128L << 20).rpcTimeout(Duration.ofSeconds(30)).build();
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("server")) {
            serve(args[1], Integer.parseInt(args[2]), Path.of(args[3]), HexFormat.of().parseHex(args[4]), HexFormat.of().parseHex(args[5]),
                    args[6], Integer.parseInt(args[7]));
        } else {
            measure(args[1], args[2], Integer.parseInt(args[3]), Path.of(args[4]), HexFormat.of().parseHex(args[5]),
                    HexFormat.of().parseHex(args[6]), Integer.parseInt(args[7]), Long.parseLong(args[8]));
        }
    }

    private static void serve(String host, int base, Path keystore, byte[] c2s, byte[] s2c, String clientHost, int mtu) throws Exception {
        TransportConfig config = config(mtu);
        SSLContext tls = TcpEcho.tlsContext(keystore, KEYSTORE_PASSWORD);
        List<SdpSocket> sockets = new ArrayList<>();
        try (var tlsServer = TcpEcho.serve(new InetSocketAddress(host, base + SDP_TRANSPORTS.size()), tls);
             var tcpServer = TcpEcho.serve(new InetSocketAddress(host, base + SDP_TRANSPORTS.size() + 1), null)) {
            for (int i = 0; i < SDP_TRANSPORTS.size(); i++) {
                SdpTransport t = SDP_TRANSPORTS.get(i);
                SdpSocket socket = SdpSocket.builder().bind(new InetSocketAddress(host, base + i)).config(config).io(t.io())
                        .handler(r -> r.reply(r.payload())).build();
                sockets.add(socket);
                session(socket, t, new InetSocketAddress(clientHost, base + 10 + i), EpochKeys.initial(SUITE, s2c), EpochKeys.initial(SUITE, c2s));
            }
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0) {
                // Serve until the caller closes our input.
            }
        } finally {
            sockets.forEach(SdpSocket::close);
        }
    }

    private static void session(SdpSocket socket, SdpTransport t, InetSocketAddress peer, EpochKeys send, EpochKeys receive) {
        if (t.encrypted()) {
            socket.installKeys(peer, send, receive);
        } else {
            socket.installPlaintext(peer);
        }
    }

    /** CPU seconds this process and the server process have used so far. */
    private static double cpuSeconds(long serverPid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + serverPid + "/stat"));
        // Fields after the command (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        double server = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return server + os.getProcessCpuTime() / 1e9;
    }

    private interface Echo {
        void roundTrip(byte[] message, int length) throws Exception;
    }

    private static void measure(String host, String serverHost, int base, Path keystore, byte[] c2s, byte[] s2c, int mtu, long serverPid)
            throws Exception {
        TransportConfig config = config(mtu);
        SSLContext tls = TcpEcho.tlsContext(keystore, KEYSTORE_PASSWORD);
        List<SdpSocket> sockets = new ArrayList<>();
        try (TcpEcho.Client tlsClient = new TcpEcho.Client(new InetSocketAddress(serverHost, base + SDP_TRANSPORTS.size()), tls);
             TcpEcho.Client tcpClient = new TcpEcho.Client(new InetSocketAddress(serverHost, base + SDP_TRANSPORTS.size() + 1), null)) {
            Map<String, Echo> transports = new LinkedHashMap<>();
            for (int i = 0; i < SDP_TRANSPORTS.size(); i++) {
                SdpTransport t = SDP_TRANSPORTS.get(i);
                SdpSocket socket = SdpSocket.builder().bind(new InetSocketAddress(host, base + 10 + i)).config(config).io(t.io()).build();
                sockets.add(socket);
                InetSocketAddress server = new InetSocketAddress(serverHost, base + i);
                session(socket, t, server, EpochKeys.initial(SUITE, c2s), EpochKeys.initial(SUITE, s2c));
                transports.put(t.name(), (m, n) -> socket.callBlocking(server, ByteBuffer.wrap(m, 0, n)));
            }
            transports.put("tls-tcp", tlsClient::roundTrip);
            transports.put("tcp", tcpClient::roundTrip);
            System.out.println("transport,mtu,message_bytes,goodput_MB_per_s,cpu_s_per_GB");
            for (int size : new int[] {1 << 20, 64 << 20}) {
                byte[] message = new byte[size];
                new java.util.Random(size).nextBytes(message);
                int perRound = size == 1 << 20 ? 20 : 1;
                // Per transport: nanoseconds, round trips, CPU seconds (both processes).
                Map<String, double[]> totals = new LinkedHashMap<>();
                for (var e : transports.entrySet()) {
                    // Warm-up: two seconds of this size per transport, so the JIT has compiled every
                    // path (20 calls of 1 MiB were not enough: SDP's first 1 MiB rounds ran at a third
                    // of its later speed).
                    long warmEnd = System.nanoTime() + 2_000_000_000L;
                    do {
                        e.getValue().roundTrip(message, size);
                    } while (System.nanoTime() < warmEnd);
                }
                for (int round = 0; round < 4; round++) {
                    for (var e : transports.entrySet()) {
                        double cpuBefore = cpuSeconds(serverPid);
                        long start = System.nanoTime();
                        for (int i = 0; i < perRound; i++) {
                            e.getValue().roundTrip(message, size);
                        }
                        long elapsed = System.nanoTime() - start;
                        double cpu = cpuSeconds(serverPid) - cpuBefore;
                        double[] t = totals.computeIfAbsent(e.getKey(), k -> new double[3]);
                        t[0] += elapsed;
                        t[1] += perRound;
                        t[2] += cpu;
                    }
                }
                for (var e : totals.entrySet()) {
                    // Echo: request and response each carry `size` bytes.
                    double bytes = 2.0 * size * e.getValue()[1];
                    System.out.printf(Locale.ROOT, "%s,%d,%d,%.0f,%.2f%n", e.getKey(), mtu, size,
                            bytes / (e.getValue()[0] / 1e9) / 1e6, e.getValue()[2] / (bytes / 1e9));
                }
            }
            for (int i = 0; i < sockets.size(); i++) {
                // Recovery and batching figures on stderr, so the CSV stays clean.
                System.err.println("# " + SDP_TRANSPORTS.get(i).name() + " client: " + sockets.get(i).statistics());
            }
        } finally {
            sockets.forEach(SdpSocket::close);
        }
    }
}
