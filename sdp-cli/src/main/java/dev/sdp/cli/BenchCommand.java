package dev.sdp.cli;

import dev.sdp.credentials.DemoCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sdp bench}: measurements against the transports users would pick instead. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks against TLS/TCP.",
        subcommands = {BenchCommand.Rtt.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code sdp bench rtt}: the paper's Figure 5. */
    @Command(name = "rtt", mixinStandardHelpOptions = true,
            description = "Unloaded round-trip time per message size and transport on loopback, all in one run, interleaved.")
    static final class Rtt implements Callable<Integer> {
        @Option(names = "--sizes", split = ",", paramLabel = "BYTES", defaultValue = "64,1024,16384,65536,1048576",
                description = "message sizes (default ${DEFAULT-VALUE})")
        private int[] sizes;

        @Option(names = "--transports", split = ",", paramLabel = "NAME", defaultValue = "sdp,sdp-plain,tls-tcp,tcp",
                description = "of sdp, sdp-plain, tls-tcp, tcp (default ${DEFAULT-VALUE})")
        private List<String> transports;

        @Option(names = "--iterations", paramLabel = "N", defaultValue = "2000",
                description = "round trips per transport, size and round (fewer for 64 KiB and up; default ${DEFAULT-VALUE})")
        private int iterations;

        @Option(names = "--rounds", paramLabel = "R", defaultValue = "3", description = "measured rounds (default ${DEFAULT-VALUE})")
        private int rounds;

        @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "3",
                description = "warm-up per transport before measuring, so the JIT has compiled the record path (default ${DEFAULT-VALUE})")
        private double warmupSeconds;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", description = "table, csv or json (default ${DEFAULT-VALUE})")
        private RttReport.Format format;

        @Option(names = "--chart", paramLabel = "FILE.png", description = "also draw a grouped bar chart (PNG)")
        private Path chart;

        @Override
        public Integer call() throws Exception {
            for (String t : transports) {
                if (!RttBenchmark.TRANSPORTS.contains(t)) {
                    throw new IllegalArgumentException("unknown transport '" + t + "' (known: " + String.join(", ", RttBenchmark.TRANSPORTS) + ")");
                }
            }
            if (iterations < 1 || rounds < 1 || Arrays.stream(sizes).anyMatch(s -> s < 0 || s > 64 << 20)) {
                throw new IllegalArgumentException("--iterations and --rounds must be >= 1, sizes within 0..64 MiB");
            }
            Path certs = DemoCredentials.generate(Files.createTempDirectory("sdp-bench-pki"), List.of());
            List<RttBenchmark.Result> results = RttBenchmark.run(transports, certs, sizes, iterations, rounds, (long) (warmupSeconds * 1e9),
                    step -> System.err.println("[bench] " + step));
            System.out.print(RttReport.render(results, format));
            if (chart != null) {
                RttChart.write(results, "Round-trip time on loopback, JDK " + Runtime.version().feature(), chart);
                System.err.println("[bench] chart written to " + chart.toAbsolutePath());
            }
            return 0;
        }
    }
}
