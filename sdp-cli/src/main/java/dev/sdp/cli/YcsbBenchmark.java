package dev.sdp.cli;

import dev.sdp.kv.KvServer;
import dev.sdp.kv.KvStore;
import dev.sdp.kv.Resp;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.transport.TransportConfig;
import dev.sdp.ycsb.JedisKvDB;
import dev.sdp.ycsb.SdpKvDB;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The paper's Figure 6: YCSB throughput against one key-value server reached over SDP, TLS 1.3
 * over TCP and plain TCP. This process runs the server (all three listeners over one database);
 * each measurement is a separate JVM running the real YCSB client ({@code site.ycsb.Client}) with
 * this project's bindings, so YCSB's per-JVM measurement state starts fresh each time. Records are
 * hashes with one field of the value size, loaded once per size over TCP, then each workload runs
 * on each transport in turn. When {@code redis-server} is installed, real Redis with a TLS port is
 * measured through the same Jedis binding as a reference.
 */
final class YcsbBenchmark {
    /** Transports the benchmark knows; {@code redis-tls} is the optional reference row. */
    static final List<String> TRANSPORTS = List.of("sdp", "sdp-plain", "tls-tcp", "tcp");
    private static final Pattern METRIC = Pattern.compile(
            "\\{\\s*\"metric\"\\s*:\\s*\"([^\"]+)\"\\s*,\\s*\"measurement\"\\s*:\\s*\"([^\"]+)\"\\s*,\\s*\"value\"\\s*:\\s*([-0-9.eE]+)\\s*}");

    /** One workload on one transport at one value size. */
    record Result(String workload, int valueSize, String transport, double opsPerSecond, double readP50Us, double readP99Us,
                  double updateP50Us, double updateP99Us) {
    }

    /** What to run. */
    record Plan(List<String> workloads, int[] valueSizes, List<String> transports, int threads, int records, int operations,
                boolean redisReference, boolean sdpSocketPerThread) {
    }

    private YcsbBenchmark() {
    }

    /** YCSB's core workload properties for workload A (50 % read, 50 % update) or C (read only), zipfian. */
    static Map<String, String> workload(String name) {
        Map<String, String> p = new HashMap<>();
        p.put("workload", "site.ycsb.workloads.CoreWorkload");
        p.put("requestdistribution", "zipfian");
        p.put("scanproportion", "0");
        p.put("insertproportion", "0");
        p.put("readallfields", "true");
        switch (name) {
            case "a" -> {
                p.put("readproportion", "0.5");
                p.put("updateproportion", "0.5");
            }
            case "c" -> {
                p.put("readproportion", "1");
                p.put("updateproportion", "0");
            }
            default -> throw new IllegalArgumentException("unknown workload '" + name + "' (known: a, c)");
        }
        return p;
    }

    static List<Result> run(Plan plan, Path certDir, Consumer<String> progress) throws Exception {
        List<Result> results = new ArrayList<>();
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        Process redis = null;
        int redisPort = 0;
        try (KvServer server = new KvServer(new KvStore(4L << 30))) {
            int tcp = server.listenTcp(loopback, null).getPort();
            int tls = server.listenTcp(loopback, Endpoints.serverContext(certDir)).getPort();
            int sdp = server.listenSdp(loopback, HandshakeConfig.builder(Endpoints.serverContext(certDir)).build(),
                    TransportConfig.defaults()).getPort();
            int sdpPlain = server.listenSdp(loopback, null, TransportConfig.defaults()).getPort();
            if (plan.redisReference()) {
                redisPort = freePort();
                redis = startRedis(redisPort, certDir);
            }
            for (int size : plan.valueSizes()) {
                server.store().execute(List.of("FLUSHALL".getBytes(StandardCharsets.US_ASCII)), new Resp.Writer(new ByteArrayOutputStream()));
                progress.accept("loading " + plan.records() + " records of " + size + " B");
                ycsb(true, JedisKvDB.class, Map.of("jedis.port", Integer.toString(tcp)), "a", size, plan);
                if (redis != null) {
                    ycsb(true, JedisKvDB.class, Map.of("jedis.port", Integer.toString(redisPort), "jedis.certdir", certDir.toString()), "a", size, plan);
                }
                for (String workload : plan.workloads()) {
                    List<String> transports = new ArrayList<>(plan.transports());
                    if (redis != null) {
                        transports.add("redis-tls");
                    }
                    for (String transport : transports) {
                        progress.accept("workload " + workload + ", " + size + " B values, " + transport);
                        Map<String, String> binding = switch (transport) {
                            case "sdp" -> Map.of("sdpkv.port", Integer.toString(sdp), "sdpkv.certdir", certDir.toString(),
                                    "sdpkv.sharedsocket", Boolean.toString(!plan.sdpSocketPerThread()));
                            case "sdp-plain" -> Map.of("sdpkv.port", Integer.toString(sdpPlain), "sdpkv.plaintext", "true",
                                    "sdpkv.sharedsocket", Boolean.toString(!plan.sdpSocketPerThread()));
                            case "tls-tcp" -> Map.of("jedis.port", Integer.toString(tls), "jedis.certdir", certDir.toString());
                            case "tcp" -> Map.of("jedis.port", Integer.toString(tcp));
                            case "redis-tls" -> Map.of("jedis.port", Integer.toString(redisPort), "jedis.certdir", certDir.toString());
                            default -> throw new IllegalArgumentException("unknown transport '" + transport + "' (known: sdp, tls-tcp, tcp)");
                        };
                        Map<String, Double> m = ycsb(false, transport.startsWith("sdp") ? SdpKvDB.class : JedisKvDB.class, binding, workload, size, plan);
                        results.add(new Result(workload, size, transport, m.getOrDefault("OVERALL/Throughput(ops/sec)", 0.0),
                                m.getOrDefault("READ/50thPercentileLatency(us)", 0.0), m.getOrDefault("READ/99thPercentileLatency(us)", 0.0),
                                m.getOrDefault("UPDATE/50thPercentileLatency(us)", 0.0), m.getOrDefault("UPDATE/99thPercentileLatency(us)", 0.0)));
                    }
                }
            }
        } finally {
            if (redis != null) {
                redis.destroy();
                redis.waitFor(10, TimeUnit.SECONDS);
            }
        }
        return results;
    }

    /** Runs YCSB's client in a new JVM (load or transaction phase); returns its exported measurements as "METRIC/measurement". */
    private static Map<String, Double> ycsb(boolean load, Class<?> binding, Map<String, String> bindingProperties, String workload, int valueSize,
                                            Plan plan) throws Exception {
        Path export = Files.createTempFile("ycsb-", ".json");
        try {
            String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
            List<String> command = new ArrayList<>(List.of(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), "site.ycsb.Client",
                    load ? "-load" : "-t", "-db", binding.getName(), "-threads", Integer.toString(plan.threads())));
            Map<String, String> p = new HashMap<>(workload(workload));
            p.put("recordcount", Integer.toString(plan.records()));
            p.put("operationcount", Integer.toString(plan.operations()));
            p.put("fieldcount", "1");
            p.put("fieldlength", Integer.toString(valueSize));
            p.put("measurementtype", "hdrhistogram");
            p.put("hdrhistogram.percentiles", "50,99");
            p.put("exporter", "site.ycsb.measurements.exporter.JSONArrayMeasurementsExporter");
            p.put("exportfile", export.toString());
            p.putAll(bindingProperties);
            p.forEach((k, v) -> command.addAll(List.of("-p", k + "=" + v)));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("YCSB " + (load ? "load" : "run") + " with " + binding.getSimpleName() + " failed (exit "
                        + (process.isAlive() ? "timeout" : process.exitValue()) + ")");
            }
            Map<String, Double> metrics = new HashMap<>();
            Matcher m = METRIC.matcher(Files.readString(export));
            while (m.find()) {
                metrics.put(m.group(1) + "/" + m.group(2), Double.parseDouble(m.group(3)));
            }
            double failed = metrics.getOrDefault("READ-FAILED/Operations", 0.0) + metrics.getOrDefault("UPDATE-FAILED/Operations", 0.0)
                    + metrics.getOrDefault("INSERT-FAILED/Operations", 0.0);
            if (failed > 0) {
                throw new IOException("YCSB reported " + (long) failed + " failed operations with " + binding.getSimpleName());
            }
            return metrics;
        } finally {
            Files.deleteIfExists(export);
        }
    }

    /** Whether Debian's redis-server is installed, for the reference row. */
    static boolean redisInstalled() {
        return new File("/usr/bin/redis-server").canExecute();
    }

    private static Process startRedis(int port, Path certDir) throws Exception {
        Process redis = new ProcessBuilder("/usr/bin/redis-server", "--port", "0", "--tls-port", Integer.toString(port),
                "--tls-cert-file", certDir.resolve("server.pem").toString(), "--tls-key-file", certDir.resolve("server-key.pem").toString(),
                "--tls-ca-cert-file", certDir.resolve("ca.pem").toString(), "--tls-auth-clients", "no", "--save", "", "--appendonly", "no",
                "--bind", "127.0.0.1").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            try (var socket = new java.net.Socket("127.0.0.1", port)) {
                return redis;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        redis.destroyForcibly();
        throw new IOException("redis-server did not start listening on " + port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
