package dev.sdp.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Renders {@code sdp bench rpc}'s results as a readable table, CSV or JSON, and as a grouped bar chart. */
final class RpcReport {
    private RpcReport() {
    }

    /** The rate is the median of the rounds. */
    static String csv(List<RpcBenchmark.Result> results) {
        StringBuilder sb = new StringBuilder("transport,size,threads,rpcs_per_s,p50_us,p99_us,cpu_us_per_rpc\n");
        for (RpcBenchmark.Result r : results) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%d,%.0f,%.1f,%.1f,%.1f%n", r.transport(), r.size(), r.threads(), r.rpcsPerS(),
                    r.p50Us(), r.p99Us(), r.cpuUsPerRpc()));
        }
        return sb.toString();
    }

    static String json(List<RpcBenchmark.Result> results) {
        return RttReport.jsonArray(results, r -> String.format(Locale.ROOT, "{\"transport\": \"%s\", \"size\": %d, \"threads\": %d, "
                        + "\"rpcs_per_s\": %.0f, \"rpcs_per_s_min\": %.0f, \"rpcs_per_s_max\": %.0f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
                        + "\"cpu_us_per_rpc\": %.1f, \"rpcs\": %d}",
                r.transport(), r.size(), r.threads(), r.rpcsPerS(), r.minRpcsPerS(), r.maxRpcsPerS(), r.p50Us(), r.p99Us(), r.cpuUsPerRpc(), r.rpcs()));
    }

    /**
     * One row per size and transport: the median rate with the least and most of the rounds, latency,
     * CPU per RPC, and the first transport's median rate as a multiple of each one's ("sdp does 1.4×
     * what tls-tcp does").
     */
    static String table(List<RpcBenchmark.Result> results) {
        String first = results.isEmpty() ? "" : results.getFirst().transport();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-7s %-16s %7s %10s %19s %10s %10s %11s %12s%n", "size", "transport",
                "threads", "rpcs/s", "min..max rpcs/s", "p50 µs", "p99 µs", "CPU µs/RPC", first + "/this"));
        for (RpcBenchmark.Result r : results) {
            double firstRate = results.stream().filter(o -> o.transport().equals(first) && o.size() == r.size())
                    .mapToDouble(RpcBenchmark.Result::rpcsPerS).findFirst().orElse(Double.NaN);
            sb.append(String.format(Locale.ROOT, "%-7s %-16s %7d %10.0f %19s %10.1f %10.1f %11.1f %11.2fx%n", BarChart.sizeLabel(r.size()),
                    r.transport(), r.threads(), r.rpcsPerS(), String.format(Locale.ROOT, "%.0f..%.0f", r.minRpcsPerS(), r.maxRpcsPerS()),
                    r.p50Us(), r.p99Us(), r.cpuUsPerRpc(), firstRate / r.rpcsPerS()));
        }
        return sb.toString();
    }

    /** Sizes along x, the median rate as bars with the best round as whiskers, linear scale. */
    static void chart(List<RpcBenchmark.Result> results, String title, Path file) throws IOException {
        BarChart.write(BarChart.bySize(results, RpcBenchmark.Result::size, RpcBenchmark.Result::transport, RpcBenchmark.Result::rpcsPerS,
                RpcBenchmark.Result::maxRpcsPerS, title, "echo RPCs per second (bar: median of rounds, whisker: best round)", false), file);
    }
}
