package dev.sdp.bench;

import dev.sdp.SdpSocket;
import dev.sdp.cli.RttBenchmark;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.transport.TransportConfig;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loopback round trips, all transports in one run and interleaved ({@link RttBenchmark}): SDP
 * (keys from a TLS 1.3 handshake), plaintext SDP and a raw UDP ping-pong written the simplest way
 * (blocking DatagramChannel; single-datagram sizes only) or busy-polling. Reports p50/p99 and process CPU time per RPC, then goodput of large messages and
 * heap allocated per small RPC.
 *
 * <p>Usage: {@code bin/bench-rtt [iterations-per-round] [rounds] [sizes] [transports]}; naming sizes
 * (comma separated) measures round trips only, without the allocation and goodput parts; naming
 * transports (of sdp, sdp-plain, udp-raw, udp-spin) leaves the others out.
 */
public final class LoopbackRtt {
    private static final String ALL_SIZES = "64,1024,65536,1048576";

    /** SDP with installed keys or in plaintext mode, for the goodput part. */
    private record Sdp(SdpSocket client, SdpSocket server) implements AutoCloseable {
        static Sdp open(boolean encrypted, TransportConfig config) throws Exception {
            SdpSocket server = SdpSocket.builder().bind(new InetSocketAddress("127.0.0.1", 0)).config(config)
                    .handler(r -> r.reply(r.payload())).build();
            SdpSocket client = SdpSocket.builder().bind(new InetSocketAddress("127.0.0.1", 0)).config(config).build();
            InstalledSession.join(client, server, encrypted);
            return new Sdp(client, server);
        }

        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    /** The simplest UDP ping-pong: blocking channels, an echo thread; or both ends busy-polling non-blocking channels. */
    private static final class RawUdp implements RttBenchmark.Transport {
        private final boolean spin;
        private volatile boolean active;
        private final DatagramChannel client;
        private final DatagramChannel server;
        private final InetSocketAddress serverAddress;
        private final ByteBuffer in = ByteBuffer.allocateDirect(65536);
        private final Thread echo;

        RawUdp(boolean spin) throws Exception {
            this.spin = spin;
            server = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            client = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            serverAddress = (InetSocketAddress) server.getLocalAddress();
            client.connect(serverAddress);
            client.configureBlocking(!spin);
            server.configureBlocking(!spin);
            echo = Thread.ofPlatform().daemon().start(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(65536);
                try {
                    while (true) {
                        b.clear();
                        var from = server.receive(b);
                        if (from == null) {
                            if (active) {
                                Thread.onSpinWait();
                            } else {
                                Thread.sleep(1);
                            }
                            continue;
                        }
                        b.flip();
                        server.send(b, from);
                    }
                } catch (Exception closed) {
                    // socket closed: benchmark over
                }
            });
        }

        @Override
        public void active(boolean on) {
            active = on;
        }

        @Override
        public void roundTrip(ByteBuffer request) throws Exception {
            client.write(request);
            in.clear();
            while (client.read(in) == 0 && spin) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void close() {
            try {
                server.close();
                client.close();
                echo.join(1000);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        boolean rttOnly = args.length > 2;
        int[] sizes = java.util.Arrays.stream((rttOnly ? args[2] : ALL_SIZES).split(",")).mapToInt(Integer::parseInt).toArray();
        List<String> chosen = args.length > 3 ? List.of(args[3].split(",")) : List.of("sdp", "sdp-plain", "udp-raw", "udp-spin");
        Path certs = DemoCredentials.generate(Files.createTempDirectory("sdp-bench-pki"), List.of());
        Map<String, RttBenchmark.Transport> transports = new LinkedHashMap<>();
        for (String name : chosen) {
            transports.put(name, switch (name) {
                case "udp-raw" -> new RawUdp(false);
                case "udp-spin" -> new RawUdp(true);
                default -> RttBenchmark.open(name, certs, TransportConfig.defaults());
            });
        }
        System.out.printf("Loopback RTT, %d rounds x %d iterations per transport and size, interleaved; JDK %s%n",
                rounds, iterations, Runtime.version());
        List<RttBenchmark.Result> results = RttBenchmark.measure(transports, sizes, iterations, rounds, 5_000_000_000L,
                (name, size) -> !name.startsWith("udp") || size <= 65507, progress -> { });
        System.out.println("transport,size,p50_us,p99_us,cpu_us_per_rpc");
        for (RttBenchmark.Result r : results) {
            System.out.printf(Locale.ROOT, "%s,%d,%.1f,%.1f,%.1f%n", r.transport(), r.size(), r.p50Us(), r.p99Us(), r.cpuUsPerRpc());
        }
        if (!rttOnly) {
            allocation(transports);
        }
        transports.values().forEach(RttBenchmark.Transport::close);
        if (!rttOnly) {
            goodput();
        }
    }

    private static void allocation(Map<String, RttBenchmark.Transport> transports) throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.out.println("transport,heap_bytes_per_64B_rpc (both ends, all threads)");
        for (String name : List.of("sdp", "sdp-plain")) {
            RttBenchmark.Transport t = transports.get(name);
            ByteBuffer request = ByteBuffer.allocate(64);
            for (int i = 0; i < 5000; i++) {
                request.clear();
                t.roundTrip(request);
            }
            int n = 20_000;
            long before = threads.getTotalThreadAllocatedBytes();
            for (int i = 0; i < n; i++) {
                request.clear();
                t.roundTrip(request);
            }
            System.out.printf("%s,%d%n", name, (threads.getTotalThreadAllocatedBytes() - before) / n);
        }
    }

    private static void goodput() throws Exception {
        System.out.println("transport,mtu,message_bytes,goodput_MB_per_s");
        for (int mtu : new int[] {65535, 1500}) {
            TransportConfig config = TransportConfig.builder().mtu(mtu).unscheduledBytes(256 << 10).grantWindow(256 << 10)
                    .maxMessageSize(128L << 20).rpcTimeout(Duration.ofSeconds(30)).build();
            for (boolean encrypted : new boolean[] {true, false}) {
                try (Sdp sdp = Sdp.open(encrypted, config)) {
                    for (int size : new int[] {1 << 20, 64 << 20}) {
                        ByteBuffer request = ByteBuffer.allocate(size);
                        int n = size == 1 << 20 ? 200 : 6;
                        List<Long> times = new ArrayList<>();
                        for (int i = -2; i < n; i++) {
                            request.clear();
                            long t0 = System.nanoTime();
                            sdp.client().callBlocking(sdp.server().localAddress(), request);
                            if (i >= 0) {
                                times.add(System.nanoTime() - t0);
                            }
                        }
                        long total = times.stream().mapToLong(Long::longValue).sum();
                        // Echo: the request and the response each carry `size` bytes.
                        System.out.printf(Locale.ROOT, "%s,%d,%d,%.0f%n", encrypted ? "sdp" : "sdp-plain", mtu, size,
                                2.0 * size * n / (total / 1e9) / 1e6);
                    }
                }
            }
        }
    }
}
