package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.transport.TransportConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop echo RPC throughput with many callers ({@code sdp bench rpc}): the echo servers run
 * in a process of their own ({@link RpcEchoServer}), and this process runs {@code threads} callers
 * per transport, each making one call after another, all on one SDP socket (as SDP's callers share
 * one, like Homa's) or spread over TCP connections. SDP runs with installed keys (or plaintext),
 * the TCP transports with TLS 1.3 and TLS_AES_128_GCM_SHA256 or plaintext; every echo's length is
 * checked.
 *
 * <p>Per size, every transport is warmed up before its first round, then the measured rounds run
 * transport after transport, so drift on a shared machine spreads over all of them. A round counts
 * the calls that complete within its window; its CPU is this process's (the JVM's own count) plus
 * the server process's ({@code /proc}, in 10 ms steps) over the same window.
 */
final class RpcBenchmark {
    /** The transports it runs, in the order reported. */
    static final List<String> TRANSPORTS = List.of("sdp", "sdp-plain", "tls-tcp", OpenSslEcho.NAME, "tcp");
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SERVER_START = Duration.ofSeconds(60);
    /** How long past its window a round's callers may take to finish their last calls. */
    private static final Duration ROUND_END = CALL_TIMEOUT.plusSeconds(5);

    /** What to run: {@code connections} applies to the TCP transports (SDP always has one socket). */
    record Plan(List<String> transports, int[] sizes, int threads, int connections, long warmupNanos, long durationNanos, int rounds) {
    }

    /** One transport at one size: the median, least and most rate of the rounds; latency and CPU over all of them. */
    record Result(String transport, int size, int threads, double rpcsPerS, double minRpcsPerS, double maxRpcsPerS, double p50Us,
                  double p99Us, double cpuUsPerRpc, long rpcs) {
    }

    /** One transport's client, which any number of threads call at once; returns the echo's length. */
    @FunctionalInterface
    private interface Caller {
        int call(ByteBuffer request) throws Exception;
    }

    /** A transport's callers, one per connection, and what to close after. */
    private record Client(List<Caller> connections, AutoCloseable resources) {
    }

    /** What the rounds of one transport and size came to so far. */
    private static final class Tally {
        final Histogram latencyNanos = new Histogram(3);
        final List<Double> rates = new ArrayList<>();
        long rpcs;
        long cpuNanos;
    }

    private RpcBenchmark() {
    }

    static List<Result> run(Plan plan, Path certDir, TransportConfig config, Consumer<String> progress) throws Exception {
        progress.accept("SDP: " + RttBenchmark.settings(config) + "; " + plan.threads() + " callers per transport, TCP over "
                + plan.connections() + (plan.connections() == 1 ? " connection" : " connections") + ", SDP over one socket");
        if (plan.transports().contains(OpenSslEcho.NAME)) {
            OpenSslEcho.requireNative();
        }
        Map<String, Client> clients = new LinkedHashMap<>();
        try (SdpSocket sdpClient = Endpoints.open(SdpSocket.builder(), RttBenchmark.LOOPBACK, config)) {
            InstalledKeys keys = InstalledKeys.random();
            List<String> args = new ArrayList<>(List.of("--transports", String.join(",", plan.transports()), "--cert-dir", certDir.toString(),
                    "--sdp-client", Addresses.format(sdpClient.localAddress()), "--mtu", Integer.toString(config.mtu())));
            try (ServerProcess server = ServerProcess.start(RpcEchoServer.class, args,
                    plan.transports().contains("sdp") ? keys.toLine() : null, SERVER_START)) {
                Map<String, InetSocketAddress> addresses = addresses(server.firstLine());
                progress.accept("server process " + server.pid() + ": " + server.firstLine());
                for (String name : plan.transports()) {
                    clients.put(name, open(name, addresses.get(name), plan.connections(), certDir, config, sdpClient, keys, progress));
                }
                return measure(plan, clients, server, progress);
            } finally {
                for (Client c : clients.values()) {
                    c.resources().close();
                }
            }
        }
    }

    /** The servers' addresses from their ready line, {@code ready NAME=HOST:PORT ...}. */
    private static Map<String, InetSocketAddress> addresses(String ready) {
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        String[] words = ready.split(" ");
        if (!words[0].equals("ready")) {
            throw new IllegalStateException("the server process said '" + ready + "' instead of ready");
        }
        for (String word : Arrays.asList(words).subList(1, words.length)) {
            int equals = word.indexOf('=');
            addresses.put(word.substring(0, equals), new Addresses.Converter().convert(word.substring(equals + 1)));
        }
        return addresses;
    }

    private static Client open(String name, InetSocketAddress server, int connections, Path certDir, TransportConfig config,
                               SdpSocket sdpClient, InstalledKeys keys, Consumer<String> progress) throws Exception {
        switch (name) {
            case "sdp" -> {
                keys.installAtClient(sdpClient, server);
                return sdp(sdpClient, server, () -> { });
            }
            case "sdp-plain" -> {
                SdpSocket socket = Endpoints.open(SdpSocket.builder().plaintextPeers(true), RttBenchmark.LOOPBACK, config);
                return sdp(socket, server, socket);
            }
            case OpenSslEcho.NAME -> {
                OpenSslEcho.Client client = new OpenSslEcho.Client(certDir);
                try {
                    List<Caller> callers = new ArrayList<>();
                    for (int i = 0; i < connections; i++) {
                        OpenSslEcho.Connection connection = client.connect(server);
                        callers.add(request -> connection.call(request, CALL_TIMEOUT));
                        if (i == 0) {
                            // Every connection is checked as it is made; the first one stands for all.
                            progress.accept(name + ": " + connection.negotiated());
                        }
                    }
                    return new Client(callers, client);
                } catch (Exception e) {
                    client.close();
                    throw e;
                }
            }
            default -> {
                List<Caller> callers = new ArrayList<>();
                List<PipelinedTcpClient> opened = new ArrayList<>();
                AutoCloseable closeAll = () -> {
                    for (PipelinedTcpClient c : opened) {
                        c.close();
                    }
                };
                try {
                    for (int i = 0; i < connections; i++) {
                        PipelinedTcpClient client = new PipelinedTcpClient(server, name.equals("tls-tcp") ? Endpoints.clientContext(certDir) : null,
                                name);
                        opened.add(client);
                        callers.add(request -> client.call(request, CALL_TIMEOUT));
                    }
                } catch (Exception e) {
                    closeAll.close();
                    throw e;
                }
                return new Client(callers, closeAll);
            }
        }
    }

    private static Client sdp(SdpSocket socket, InetSocketAddress server, AutoCloseable resources) {
        return new Client(List.of(request -> socket.callBlocking(server, request, CALL_TIMEOUT).remaining()), resources);
    }

    private static List<Result> measure(Plan plan, Map<String, Client> clients, ServerProcess server, Consumer<String> progress)
            throws Exception {
        List<Result> results = new ArrayList<>();
        for (int size : plan.sizes()) {
            Map<String, Tally> tallies = new LinkedHashMap<>();
            for (int round = 0; round < plan.rounds(); round++) {
                for (var e : clients.entrySet()) {
                    Tally tally = tallies.computeIfAbsent(e.getKey(), k -> new Tally());
                    long lead = round == 0 ? plan.warmupNanos() : 0;
                    if (lead > 0) {
                        progress.accept("warming up " + e.getKey() + " at " + size + " B");
                    }
                    double rate = round(e.getKey(), e.getValue(), plan.threads(), size, lead, plan.durationNanos(), server, tally);
                    progress.accept(String.format(Locale.ROOT, "%d B round %d/%d: %s %.0f rpcs/s", size, round + 1, plan.rounds(),
                            e.getKey(), rate));
                }
            }
            tallies.forEach((name, t) -> {
                double[] rates = t.rates.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                results.add(new Result(name, size, plan.threads(), median(rates), rates[0], rates[rates.length - 1],
                        t.latencyNanos.getValueAtPercentile(50) / 1000.0, t.latencyNanos.getValueAtPercentile(99) / 1000.0,
                        t.rpcs == 0 ? Double.NaN : t.cpuNanos / 1000.0 / t.rpcs, t.rpcs));
            });
        }
        return results;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * One round: {@code threads} callers call back to back for {@code leadNanos} unmeasured, then
     * {@code measuredNanos} measured; a call counts if it completes within the measured window.
     * Adds to {@code tally} and returns the round's rate.
     */
    private static double round(String name, Client client, int threads, int size, long leadNanos, long measuredNanos, ServerProcess server,
                                Tally tally) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Histogram[] latencies = new Histogram[threads];
        long[] counts = new long[threads];
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int caller = i;
            Caller connection = client.connections().get(i % client.connections().size());
            latencies[i] = new Histogram(3);
            callers.add(Thread.ofPlatform().name("rpc-caller-" + i).start(() -> {
                ByteBuffer request = ByteBuffer.allocate(size);
                try {
                    go.await();
                    while (failure.get() == null) {
                        long t0 = System.nanoTime();
                        int echoed = connection.call(request.clear());
                        long t1 = System.nanoTime();
                        if (echoed != size) {
                            throw new IOException("an echo of " + size + " bytes came back with " + echoed);
                        }
                        if (t1 >= window[1]) {
                            return;
                        }
                        if (t1 >= window[0]) {
                            latencies[caller].recordValue(t1 - t0);
                            counts[caller]++;
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        window[0] = System.nanoTime() + leadNanos;
        window[1] = window[0] + measuredNanos;
        // The latch's count-down publishes the window to the callers.
        go.countDown();
        sleepUntil(window[0]);
        long clientCpu = os.getProcessCpuTime();
        long serverCpu = server.cpuNanos();
        sleepUntil(window[1]);
        clientCpu = os.getProcessCpuTime() - clientCpu;
        serverCpu = server.cpuNanos() - serverCpu;
        long joinBy = System.nanoTime() + ROUND_END.toNanos();
        for (Thread t : callers) {
            if (!t.join(Duration.ofNanos(Math.max(1, joinBy - System.nanoTime())))) {
                failure.compareAndSet(null, new IOException("a caller was still waiting " + ROUND_END.toSeconds() + " s after the round"));
            }
        }
        if (failure.get() != null) {
            throw new IOException(name + ", " + size + " B: " + Main.message(failure.get()), failure.get());
        }
        long rpcs = Arrays.stream(counts).sum();
        for (Histogram h : latencies) {
            tally.latencyNanos.add(h);
        }
        tally.rpcs += rpcs;
        tally.cpuNanos += clientCpu + serverCpu;
        double rate = rpcs / (measuredNanos / 1e9);
        tally.rates.add(rate);
        return rate;
    }

    private static void sleepUntil(long nanoTime) {
        for (long left; (left = nanoTime - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }
}
