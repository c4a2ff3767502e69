package dev.sdp.cli;

import dev.sdp.transport.TransportConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * Head-of-line blocking: the round-trip time of 64-byte RPCs alone, and while a second thread
 * keeps large echo RPCs going on the same session (SDP) or the same connection (TLS/TCP and TCP,
 * where one request/response stream has to be taken in turn). SDP's messages are independent, so
 * a small one should pass a large one; over one TCP stream it cannot.
 */
final class HolbBenchmark {
    /** The transports it compares; the names of {@link RttBenchmark#TRANSPORTS}. */
    static final List<String> TRANSPORTS = RttBenchmark.TRANSPORTS;
    private static final int SMALL = 64;

    /** One transport's small-RPC latency alone and beside large RPCs, and what the large ones moved. */
    record Result(String transport, int bigBytes, double aloneP50Us, double aloneP99Us, double loadedP50Us, double loadedP99Us,
                  double bigMbPerS, long loadedSamples) {
    }

    private HolbBenchmark() {
    }

    static List<Result> run(List<String> names, Path certDir, TransportConfig config, int bigBytes, int iterations, int warmup,
                            long loadedNanos, Consumer<String> progress) throws Exception {
        progress.accept("SDP: " + RttBenchmark.settings(config));
        List<Result> results = new ArrayList<>();
        for (String name : names) {
            try (RttBenchmark.Transport t = shared(RttBenchmark.open(name, certDir, config), name)) {
                progress.accept("warming up " + name);
                ByteBuffer small = ByteBuffer.allocate(SMALL);
                for (int i = 0; i < warmup; i++) {
                    t.roundTrip(small.clear());
                }
                progress.accept("measuring " + name + " alone");
                Histogram alone = new Histogram(3);
                for (int i = 0; i < iterations; i++) {
                    small.clear();
                    long t0 = System.nanoTime();
                    t.roundTrip(small);
                    alone.recordValue(System.nanoTime() - t0);
                }
                progress.accept("measuring " + name + " beside " + bigBytes + " B RPCs");
                results.add(loaded(name, t, bigBytes, iterations, loadedNanos, alone));
                String counters = t.counters();
                if (!counters.isEmpty()) {
                    progress.accept(name + ": " + counters);
                }
            }
        }
        return results;
    }

    /**
     * TCP's echo client carries one round trip at a time: take turns on it, as threads sharing
     * one connection must when responses are matched to requests by order.
     */
    private static RttBenchmark.Transport shared(RttBenchmark.Transport t, String name) {
        if (name.startsWith("sdp")) {
            return t;
        }
        return new RttBenchmark.Transport() {
            private final java.util.concurrent.locks.ReentrantLock turn = new java.util.concurrent.locks.ReentrantLock(true);

            @Override
            public void roundTrip(ByteBuffer request) throws Exception {
                turn.lock();
                try {
                    t.roundTrip(request);
                } finally {
                    turn.unlock();
                }
            }

            @Override
            public String counters() {
                return t.counters();
            }

            @Override
            public void close() {
                t.close();
            }
        };
    }

    /**
     * Small round trips while one background thread runs large ones back to back: at least
     * {@code loadedNanos} and until {@code iterations} small ones or twice that time, whichever
     * comes first, so a transport that makes a small RPC wait for a large one still finishes.
     */
    private static Result loaded(String name, RttBenchmark.Transport t, int bigBytes, int iterations, long loadedNanos, Histogram alone)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong bigDone = new AtomicLong();
        AtomicReference<Throwable> bigFailure = new AtomicReference<>();
        Thread big = Thread.ofPlatform().name("holb-big").start(() -> {
            ByteBuffer request = ByteBuffer.allocate(bigBytes);
            try {
                while (!stop.get()) {
                    t.roundTrip(request.clear());
                    bigDone.incrementAndGet();
                }
            } catch (Throwable e) {
                bigFailure.set(e);
            }
        });
        // Let the first large RPC get under way.
        Thread.sleep(20);
        Histogram loaded = new Histogram(3);
        ByteBuffer small = ByteBuffer.allocate(SMALL);
        long start = System.nanoTime();
        long bigAtStart = bigDone.get();
        long now = start;
        while ((now - start < loadedNanos || loaded.getTotalCount() < iterations) && now - start < 2 * loadedNanos
                && bigFailure.get() == null) {
            small.clear();
            long t0 = System.nanoTime();
            t.roundTrip(small);
            now = System.nanoTime();
            loaded.recordValue(now - t0);
        }
        long bigs = bigDone.get() - bigAtStart;
        double seconds = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        big.join(60_000);
        if (bigFailure.get() != null) {
            throw new IllegalStateException(name + ": a large RPC failed", bigFailure.get());
        }
        return new Result(name, bigBytes, us(alone, 50), us(alone, 99), us(loaded, 50), us(loaded, 99),
                bigs * (double) bigBytes / 1e6 / seconds, loaded.getTotalCount());
    }

    private static double us(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    static String render(List<Result> results, RttReport.Format format) {
        StringBuilder sb = new StringBuilder();
        switch (format) {
            case csv -> {
                sb.append("transport,big_bytes,alone_p50_us,alone_p99_us,loaded_p50_us,loaded_p99_us,big_mb_per_s\n");
                for (Result r : results) {
                    sb.append(String.format(Locale.ROOT, "%s,%d,%.1f,%.1f,%.1f,%.1f,%.1f%n", r.transport(), r.bigBytes(), r.aloneP50Us(),
                            r.aloneP99Us(), r.loadedP50Us(), r.loadedP99Us(), r.bigMbPerS()));
                }
            }
            case json -> sb.append(RttReport.jsonArray(results, r -> String.format(Locale.ROOT, "{\"transport\": \"%s\", \"big_bytes\": %d, "
                            + "\"alone_p50_us\": %.1f, \"alone_p99_us\": %.1f, \"loaded_p50_us\": %.1f, \"loaded_p99_us\": %.1f, \"big_mb_per_s\": %.1f}",
                    r.transport(), r.bigBytes(), r.aloneP50Us(), r.aloneP99Us(), r.loadedP50Us(), r.loadedP99Us(), r.bigMbPerS())));
            case table -> {
                sb.append(String.format(Locale.ROOT, "%-10s %10s %20s %20s %16s %12s%n", "transport", "big", "alone p50/p99 µs",
                        "loaded p50/p99 µs", "loaded/alone p99", "big MB/s"));
                for (Result r : results) {
                    sb.append(String.format(Locale.ROOT, "%-10s %10s %20s %20s %15.1fx %12.1f%n", r.transport(), BarChart.sizeLabel(r.bigBytes()),
                            String.format(Locale.ROOT, "%.1f / %.1f", r.aloneP50Us(), r.aloneP99Us()),
                            String.format(Locale.ROOT, "%.1f / %.1f", r.loadedP50Us(), r.loadedP99Us()),
                            r.loadedP99Us() / r.aloneP99Us(), r.bigMbPerS()));
                }
            }
        }
        return sb.toString();
    }
}
