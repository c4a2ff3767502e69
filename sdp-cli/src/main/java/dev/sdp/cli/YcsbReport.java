package dev.sdp.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Renders YCSB results as a table, CSV or JSON, and as a grouped bar chart of throughput. */
final class YcsbReport {
    private YcsbReport() {
    }

    static String render(List<YcsbBenchmark.Result> results, RttReport.Format format) {
        return format.render(results, YcsbReport::table, YcsbReport::csv, YcsbReport::json);
    }

    static String csv(List<YcsbBenchmark.Result> results) {
        StringBuilder sb = new StringBuilder("workload,value_size,transport,ops_per_s,read_p50_us,read_p99_us,update_p50_us,update_p99_us\n");
        for (YcsbBenchmark.Result r : results) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%s,%.0f,%.0f,%.0f,%.0f,%.0f%n", r.workload(), r.valueSize(), r.transport(),
                    r.opsPerSecond(), r.readP50Us(), r.readP99Us(), r.updateP50Us(), r.updateP99Us()));
        }
        return sb.toString();
    }

    static String json(List<YcsbBenchmark.Result> results) {
        return RttReport.jsonArray(results, r -> String.format(Locale.ROOT, "{\"workload\": \"%s\", \"value_size\": %d, \"transport\": \"%s\", "
                + "\"ops_per_s\": %.0f, \"read_p50_us\": %.0f, \"read_p99_us\": %.0f, \"update_p50_us\": %.0f, \"update_p99_us\": %.0f}",
                r.workload(), r.valueSize(), r.transport(), r.opsPerSecond(), r.readP50Us(), r.readP99Us(), r.updateP50Us(), r.updateP99Us()));
    }

    /** One row per workload, size and transport, with SDP's throughput as a multiple of each row's. */
    static String table(List<YcsbBenchmark.Result> results) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-9s %-6s %-10s %10s %15s %17s %12s%n", "workload", "value",
                "transport", "ops/s", "read p50/p99", "update p50/p99", "sdp/this"));
        for (YcsbBenchmark.Result r : results) {
            double sdp = results.stream().filter(o -> o.transport().equals("sdp") && o.workload().equals(r.workload()) && o.valueSize() == r.valueSize())
                    .mapToDouble(YcsbBenchmark.Result::opsPerSecond).findFirst().orElse(Double.NaN);
            sb.append(String.format(Locale.ROOT, "%-9s %-6s %-10s %10.0f %15s %17s %11.2fx%n", r.workload().toUpperCase(Locale.ROOT),
                    BarChart.sizeLabel(r.valueSize()), r.transport(), r.opsPerSecond(),
                    String.format(Locale.ROOT, "%.0f/%.0f µs", r.readP50Us(), r.readP99Us()),
                    r.updateP50Us() == 0 ? "-" : String.format(Locale.ROOT, "%.0f/%.0f µs", r.updateP50Us(), r.updateP99Us()), sdp / r.opsPerSecond()));
        }
        return sb.toString();
    }

    static void chart(List<YcsbBenchmark.Result> results, Path file) throws IOException {
        Set<String> groups = new LinkedHashSet<>();
        Set<String> transports = new LinkedHashSet<>();
        Map<String, Double> value = new LinkedHashMap<>();
        for (YcsbBenchmark.Result r : results) {
            String group = "workload " + r.workload().toUpperCase(Locale.ROOT) + ", " + BarChart.sizeLabel(r.valueSize());
            groups.add(group);
            transports.add(r.transport());
            value.put(group + "/" + r.transport(), r.opsPerSecond());
        }
        List<String> g = new ArrayList<>(groups);
        List<String> s = new ArrayList<>(transports);
        double[][] values = new double[g.size()][s.size()];
        for (int i = 0; i < g.size(); i++) {
            for (int j = 0; j < s.size(); j++) {
                values[i][j] = value.getOrDefault(g.get(i) + "/" + s.get(j), Double.NaN);
            }
        }
        BarChart.write(new BarChart.Data("YCSB throughput, one key-value server over SDP and TLS/TCP", "workload and value size",
                "operations per second", g, s, values, null, false), file);
    }
}
