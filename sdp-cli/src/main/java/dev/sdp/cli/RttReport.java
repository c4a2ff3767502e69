package dev.sdp.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Renders round-trip results as a readable table, CSV or JSON, and as a grouped bar chart. */
final class RttReport {
    private RttReport() {
    }

    /** The output formats of the benchmarks. */
    enum Format {
        table, csv, json;

        /** {@code results} as the renderer for this format gives them. */
        <R> String render(List<R> results, Function<List<R>, String> table, Function<List<R>, String> csv, Function<List<R>, String> json) {
            return switch (this) {
                case table -> table.apply(results);
                case csv -> csv.apply(results);
                case json -> json.apply(results);
            };
        }
    }

    static String render(List<RttBenchmark.Result> results, Format format) {
        return format.render(results, RttReport::table, RttReport::csv, RttReport::json);
    }

    static String csv(List<RttBenchmark.Result> results) {
        StringBuilder sb = new StringBuilder("transport,size,p50_us,p99_us,cpu_us_per_rpc,samples\n");
        for (RttBenchmark.Result r : results) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%.1f,%.1f,%.1f,%d%n", r.transport(), r.size(), r.p50Us(), r.p99Us(), r.cpuUsPerRpc(), r.samples()));
        }
        return sb.toString();
    }

    static String json(List<RttBenchmark.Result> results) {
        return jsonArray(results, r -> String.format(Locale.ROOT,
                "{\"transport\": \"%s\", \"size\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f, \"cpu_us_per_rpc\": %.1f, \"samples\": %d}",
                r.transport(), r.size(), r.p50Us(), r.p99Us(), r.cpuUsPerRpc(), r.samples()));
    }

    /** A JSON array of the benchmarks' kind: one object per line, as {@code object} writes it. */
    static <R> String jsonArray(List<R> results, Function<R, String> object) {
        return results.stream().map(r -> "  " + object.apply(r)).collect(Collectors.joining(",\n", "[\n", results.isEmpty() ? "]\n" : "\n]\n"));
    }

    /**
     * One row per size, p50 and p99 per transport, and the first transport's p50 as a multiple of
     * each other's, so "SDP takes 0.3× as long as TLS/TCP" can be read off directly.
     */
    static String table(List<RttBenchmark.Result> results) {
        Set<String> transports = new LinkedHashSet<>();
        Map<Integer, Map<String, RttBenchmark.Result>> bySize = new LinkedHashMap<>();
        for (RttBenchmark.Result r : results) {
            transports.add(r.transport());
            bySize.computeIfAbsent(r.size(), k -> new LinkedHashMap<>()).put(r.transport(), r);
        }
        List<String> names = List.copyOf(transports);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-9s", "size"));
        for (String t : names) {
            sb.append(String.format(Locale.ROOT, " %22s", t + " p50/p99 µs"));
        }
        for (String t : names.subList(1, names.size())) {
            sb.append(String.format(Locale.ROOT, " %16s", names.getFirst() + "/" + t));
        }
        sb.append('\n');
        bySize.forEach((size, row) -> {
            sb.append(String.format(Locale.ROOT, "%-9s", BarChart.sizeLabel(size)));
            for (String t : names) {
                RttBenchmark.Result r = row.get(t);
                sb.append(r == null ? String.format(Locale.ROOT, " %22s", "-")
                        : String.format(Locale.ROOT, " %22s", String.format(Locale.ROOT, "%.1f / %.1f", r.p50Us(), r.p99Us())));
            }
            RttBenchmark.Result first = row.get(names.getFirst());
            for (String t : names.subList(1, names.size())) {
                RttBenchmark.Result r = row.get(t);
                sb.append(first == null || r == null ? String.format(Locale.ROOT, " %16s", "-")
                        : String.format(Locale.ROOT, " %15.2fx", first.p50Us() / r.p50Us()));
            }
            sb.append('\n');
        });
        return sb.toString();
    }

    /** The round-trip chart of {@code sdp bench rtt}: sizes along x, p50 bars with p99 whiskers, log scale. */
    static void chart(List<RttBenchmark.Result> results, String title, Path file) throws IOException {
        BarChart.write(BarChart.bySize(results, RttBenchmark.Result::size, RttBenchmark.Result::transport, RttBenchmark.Result::p50Us,
                RttBenchmark.Result::p99Us, title, "round-trip time, µs (log scale; bar: p50, whisker: p99)", true), file);
    }
}
