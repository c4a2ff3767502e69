package dev.sdp.cli;

import dev.sdp.credentials.DemoCredentials;
import dev.sdp.transport.TransportConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sdp bench}: measurements against the transports users would pick instead. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks against TLS/TCP.",
        subcommands = {BenchCommand.Rtt.class, BenchCommand.Rpc.class, BenchCommand.Holb.class, BenchCommand.Ycsb.class})
final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return Main.usageError(spec);
    }

    /** How a benchmark reports: the text format, and optionally a chart. */
    static final class Output {
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", description = "table, csv or json (default ${DEFAULT-VALUE})")
        RttReport.Format format;

        @Option(names = "--chart", paramLabel = "FILE.png", description = "also draw a grouped bar chart (PNG)")
        Path chart;

        /** Prints {@code text}; with {@code --chart}, has {@code drawing} write the chart and says where on standard error. */
        void print(String text, ChartDrawing drawing, String tag) throws IOException {
            System.out.print(text);
            if (chart != null) {
                drawing.draw(chart);
                System.err.println("[" + tag + "] chart written to " + chart.toAbsolutePath());
            }
        }
    }

    /** Draws a benchmark's chart to a file. */
    @FunctionalInterface
    interface ChartDrawing {
        void draw(Path file) throws IOException;
    }

    /** SDP's settings on loopback from the options, refusing at once any size SDP could not carry. */
    private static TransportConfig loopback(TransportOptions transport, String sizeOption, int... sizes) {
        TransportConfig config = transport.config(RttBenchmark.LOOPBACK);
        for (int size : sizes) {
            Checks.messageSize(sizeOption, size, config);
        }
        return config;
    }

    /** Throw-away credentials for one run. */
    private static Path throwAwayCredentials(String prefix) throws IOException {
        return DemoCredentials.generate(Files.createTempDirectory(prefix), List.of());
    }

    private static void requireKnown(List<String> transports, List<String> known) {
        for (String t : transports) {
            if (!known.contains(t)) {
                throw new IllegalArgumentException("unknown transport '" + t + "' (known: " + String.join(", ", known) + ")");
            }
        }
    }

    /** {@code sdp bench ycsb}: the paper's Figure 6. */
    @Command(name = "ycsb", mixinStandardHelpOptions = true,
            description = "YCSB workloads A and C against one key-value server over SDP, TLS 1.3/TCP and TCP, in one run.")
    static final class Ycsb implements Callable<Integer> {
        @Option(names = "--workload", split = ",", paramLabel = "a|c", defaultValue = "a,c", description = "YCSB core workloads (default ${DEFAULT-VALUE})")
        private List<String> workloads;

        @Option(names = "--value-size", split = ",", paramLabel = "BYTES", defaultValue = "64,1024,4096",
                description = "record value sizes (default ${DEFAULT-VALUE})")
        private int[] valueSizes;

        @Option(names = "--transports", split = ",", paramLabel = "NAME", defaultValue = "sdp,tls-tcp,tcp",
                description = "of sdp, sdp-plain, tls-tcp, tcp (default ${DEFAULT-VALUE}); real Redis over TLS is added when redis-server is installed")
        private List<String> transports;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "16", description = "YCSB client threads, each with its own connection (default ${DEFAULT-VALUE})")
        private int threads;

        @Option(names = "--records", paramLabel = "R", defaultValue = "10000", description = "records loaded (default ${DEFAULT-VALUE})")
        private int records;

        @Option(names = "--operations", paramLabel = "O", defaultValue = "100000", description = "operations per run (default ${DEFAULT-VALUE})")
        private int operations;

        @Option(names = "--no-redis", description = "leave out the real-Redis reference row")
        private boolean noRedis;

        @Option(names = "--sdp-socket-per-thread",
                description = "give each YCSB thread its own SDP socket instead of sharing one per process (as TCP needs a connection each)")
        private boolean sdpSocketPerThread;

        @picocli.CommandLine.Mixin
        private Output output;

        @Override
        public Integer call() throws Exception {
            requireKnown(transports, YcsbBenchmark.TRANSPORTS);
            workloads.forEach(YcsbBenchmark::workload);
            Checks.atLeast("--threads", threads, 1);
            Checks.atLeast("--records", records, 1);
            Checks.atLeast("--operations", operations, 1);
            for (int size : valueSizes) {
                Checks.within("--value-size", size, 1, 1 << 20);
            }
            Path certs = throwAwayCredentials("sdp-ycsb-pki");
            var plan = new YcsbBenchmark.Plan(workloads, valueSizes, transports, threads, records, operations,
                    !noRedis && YcsbBenchmark.redisInstalled(), sdpSocketPerThread);
            List<YcsbBenchmark.Result> results = YcsbBenchmark.run(plan, certs, step -> System.err.println("[ycsb] " + step));
            output.print(YcsbReport.render(results, output.format), file -> YcsbReport.chart(results, file), "ycsb");
            return 0;
        }
    }

    /** {@code sdp bench rtt}: the paper's Figure 5. */
    @Command(name = "rtt", mixinStandardHelpOptions = true,
            description = "Unloaded round-trip time per message size and transport on loopback, all in one run, interleaved.")
    static final class Rtt implements Callable<Integer> {
        @Option(names = "--sizes", split = ",", paramLabel = "BYTES", defaultValue = "64,1024,16384,65536,1048576",
                description = "message sizes (default ${DEFAULT-VALUE})")
        private int[] sizes;

        @Option(names = "--transports", split = ",", paramLabel = "NAME", defaultValue = "sdp,sdp-plain,tls-tcp,tcp",
                description = "of sdp, sdp-plain, tls-tcp, tls-tcp-openssl (Netty, epoll, BoringSSL), tcp (default ${DEFAULT-VALUE})")
        private List<String> transports;

        @Option(names = "--iterations", paramLabel = "N", defaultValue = "2000",
                description = "round trips per transport, size and round (fewer for 64 KiB and up; default ${DEFAULT-VALUE})")
        private int iterations;

        @Option(names = "--rounds", paramLabel = "R", defaultValue = "3", description = "measured rounds (default ${DEFAULT-VALUE})")
        private int rounds;

        @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "3",
                description = "warm-up per transport before measuring, so the JIT has compiled the record path (default ${DEFAULT-VALUE})")
        private double warmupSeconds;

        @picocli.CommandLine.Mixin
        private Output output;

        @picocli.CommandLine.Mixin
        private TransportOptions transport;

        @Override
        public Integer call() throws Exception {
            requireKnown(transports, RttBenchmark.TRANSPORTS);
            Checks.atLeast("--iterations", iterations, 1);
            Checks.atLeast("--rounds", rounds, 1);
            Checks.atLeast("--warmup", warmupSeconds, 0.0);
            TransportConfig config = loopback(transport, "--sizes", sizes);
            List<RttBenchmark.Result> results = RttBenchmark.run(transports, throwAwayCredentials("sdp-bench-pki"), config, sizes, iterations,
                    rounds, (long) (warmupSeconds * 1e9), step -> System.err.println("[bench] " + step));
            output.print(RttReport.render(results, output.format),
                    file -> RttReport.chart(results, "Round-trip time on loopback, JDK " + Runtime.version().feature(), file), "bench");
            return 0;
        }
    }

    /** {@code sdp bench rpc}: many closed-loop callers, client and server in separate processes. */
    @Command(name = "rpc", mixinStandardHelpOptions = true,
            description = "Echo RPC throughput with many callers in flight, client and server in separate processes on loopback.")
    static final class Rpc implements Callable<Integer> {
        @Option(names = "--threads", paramLabel = "N", defaultValue = "16",
                description = "closed-loop callers per transport, each making one call after another (default ${DEFAULT-VALUE})")
        private int threads;

        @Option(names = "--connections", paramLabel = "C", defaultValue = "1",
                description = "TCP connections the callers of a TCP transport are spread over; SDP always uses one socket (default ${DEFAULT-VALUE})")
        private int connections;

        @Option(names = "--sizes", split = ",", paramLabel = "BYTES", defaultValue = "64,1024", description = "message sizes (default ${DEFAULT-VALUE})")
        private int[] sizes;

        @Option(names = "--transports", split = ",", paramLabel = "NAME", defaultValue = "sdp,sdp-plain,tls-tcp,tls-tcp-openssl,tcp",
                description = "of sdp, sdp-plain, tls-tcp, tls-tcp-openssl, tcp (default ${DEFAULT-VALUE})")
        private List<String> transports;

        @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "10", description = "measured per transport, size and round (default ${DEFAULT-VALUE})")
        private double durationSeconds;

        @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "5",
                description = "unmeasured calls per transport and size before its first round (default ${DEFAULT-VALUE})")
        private double warmupSeconds;

        @Option(names = "--rounds", paramLabel = "R", defaultValue = "3",
                description = "measured rounds, interleaved across transports; the rate reported is their median (default ${DEFAULT-VALUE})")
        private int rounds;

        @picocli.CommandLine.Mixin
        private Output output;

        @picocli.CommandLine.Mixin
        private TransportOptions transport;

        @Override
        public Integer call() throws Exception {
            requireKnown(transports, RpcBenchmark.TRANSPORTS);
            Checks.atLeast("--threads", threads, 1);
            Checks.atLeast("--connections", connections, 1);
            Checks.positive("--duration", durationSeconds);
            Checks.atLeast("--warmup", warmupSeconds, 0.0);
            Checks.atLeast("--rounds", rounds, 1);
            TransportConfig config = loopback(transport, "--sizes", sizes);
            var plan = new RpcBenchmark.Plan(transports.stream().distinct().toList(), sizes, threads, connections, (long) (warmupSeconds * 1e9),
                    (long) (durationSeconds * 1e9), rounds);
            List<RpcBenchmark.Result> results = RpcBenchmark.run(plan, throwAwayCredentials("sdp-bench-pki"), config,
                    step -> System.err.println("[rpc] " + step));
            output.print(output.format.render(results, RpcReport::table, RpcReport::csv, RpcReport::json),
                    file -> RpcReport.chart(results, "Echo RPCs per second, " + threads + " callers, client and server in two processes", file), "rpc");
            return 0;
        }
    }

    /** {@code sdp bench holb}: head-of-line blocking of small RPCs behind large ones on one session or connection. */
    @Command(name = "holb", mixinStandardHelpOptions = true,
            description = "64 B round trips alone and while large RPCs share the same session (TCP: the same connection), on loopback.")
    static final class Holb implements Callable<Integer> {
        @Option(names = "--big", paramLabel = "BYTES", defaultValue = "16777216", description = "size of the large RPCs (default ${DEFAULT-VALUE})")
        private int big;

        @Option(names = "--transports", split = ",", paramLabel = "NAME", defaultValue = "sdp,tls-tcp",
                description = "of sdp, sdp-plain, tls-tcp, tls-tcp-openssl, tcp (default ${DEFAULT-VALUE})")
        private List<String> transports;

        @Option(names = "--iterations", paramLabel = "N", defaultValue = "5000", description = "small round trips alone, and the target beside large ones (default ${DEFAULT-VALUE})")
        private int iterations;

        @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "5", description = "least time measured beside large RPCs (default ${DEFAULT-VALUE})")
        private double seconds;

        @Option(names = "--warmup", paramLabel = "N", defaultValue = "20000",
                description = "small round trips per transport before measuring, so the JIT has compiled the path (default ${DEFAULT-VALUE})")
        private int warmup;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", description = "table, csv or json (default ${DEFAULT-VALUE})")
        private RttReport.Format format;

        @picocli.CommandLine.Mixin
        private TransportOptions transport;

        @Override
        public Integer call() throws Exception {
            requireKnown(transports, HolbBenchmark.TRANSPORTS);
            Checks.atLeast("--big", big, 1);
            TransportConfig config = loopback(transport, "--big", big);
            Checks.atLeast("--iterations", iterations, 1);
            Checks.positive("--duration", seconds);
            Checks.atLeast("--warmup", warmup, 0);
            List<HolbBenchmark.Result> results = HolbBenchmark.run(transports, throwAwayCredentials("sdp-bench-pki"), config, big, iterations, warmup, (long) (seconds * 1e9),
                    step -> System.err.println("[holb] " + step));
            System.out.print(HolbBenchmark.render(results, format));
            return 0;
        }
    }
}
