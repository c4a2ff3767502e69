package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.transport.TransportConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sdp call}: sends RPCs of random bytes to an echo server, checks that every answer is the
 * same bytes, and prints one summary line (of the calls after the warm-up), also when interrupted;
 * exits with 1 when any call failed. After the first failure no new calls start, so an unreachable
 * server is reported after one timeout.
 */
@Command(name = "call", mixinStandardHelpOptions = true, description = "Call an SDP echo server and check every echo.")
final class CallCommand implements Callable<Integer> {
    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", converter = Addresses.Converter.class,
            description = "the server")
    private InetSocketAddress to;

    @Option(names = "--size", required = true, paramLabel = "BYTES", description = "request size")
    private long size;

    @Option(names = "--count", required = true, paramLabel = "N", description = "number of calls")
    private int count;

    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "1", description = "calls in flight at once (default ${DEFAULT-VALUE})")
    private int concurrency;

    @Option(names = "--cert-dir", paramLabel = "DIR", description = "TLS credentials written by 'sdp keygen' (ca.pem; client.pem is presented if present)")
    private Path certDir;

    @Option(names = "--plaintext", description = "no encryption (the unencrypted baseline)")
    private boolean plaintext;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "0",
            description = "calls made and checked first but left out of the figures: the handshake and the JIT's warm-up (default ${DEFAULT-VALUE})")
    private int warmup;

    @Option(names = "--stats", description = "print the socket's statistics after the summary")
    private boolean printStats;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10", description = "per-call timeout (default ${DEFAULT-VALUE})")
    private int timeoutSeconds;

    @Mixin
    private TransportOptions transport;

    @Override
    public Integer call() throws Exception {
        Checks.atLeast("--count", count, 1);
        Checks.atLeast("--concurrency", concurrency, 1);
        Checks.atLeast("--warmup", warmup, 0);
        Checks.atLeast("--timeout", timeoutSeconds, 1);
        InetSocketAddress local = Addresses.clientBindFor(to);
        TransportConfig config = transport.config(local);
        Checks.messageSize("--size", size, config);
        // The handshake gives up no later than a call would, so an unreachable server is reported as fast.
        Duration handshakeTimeout = Duration.ofSeconds(Math.min(timeoutSeconds, 5));
        SdpSocket.Builder builder = Endpoints.secure(SdpSocket.builder(), certDir, plaintext, false, false, handshakeTimeout);
        Tally tally = new Tally();
        String statistics;
        try (SdpSocket socket = Endpoints.open(builder, local, config)) {
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> summary(tally, true)));
            run(socket, tally);
            statistics = socket.statistics().toString();
        }
        summary(tally, false);
        if (printStats) {
            System.out.println("statistics: " + statistics);
        }
        String firstFailure = tally.firstFailure.get();
        if (firstFailure == null) {
            return 0;
        }
        int notStarted = count - tally.started.get();
        System.err.println("sdp call: " + (notStarted == count
                ? "a warm-up call failed and none of the " + count + " calls started: "
                : tally.failed.get() + " of " + count + " calls failed" + (notStarted > 0 ? " and " + notStarted + " were not started" : "")
                        + "; first failure: ") + firstFailure);
        return 1;
    }

    /** The warm-up calls, then the measured ones, {@link #concurrency} at a time, until all are done or one has failed. */
    private void run(SdpSocket socket, Tally tally) throws InterruptedException {
        Semaphore window = new Semaphore(concurrency);
        SplittableRandom random = new SplittableRandom();
        for (int i = 0; i < warmup + count; i++) {
            boolean measured = i >= warmup;
            if (i == warmup && warmup > 0) {
                // The warm-up calls are done: measure from here.
                window.acquire(concurrency);
                tally.begin = System.nanoTime();
                window.release(concurrency);
            }
            window.acquire();
            if (tally.firstFailure.get() != null) {
                window.release();
                break;
            }
            byte[] request = new byte[(int) size];
            random.nextBytes(request);
            if (measured) {
                tally.started.incrementAndGet();
            }
            long t0 = System.nanoTime();
            socket.call(to, ByteBuffer.wrap(request.clone()), Duration.ofSeconds(timeoutSeconds)).whenComplete((response, error) -> {
                boolean echoed = error == null && response.equals(ByteBuffer.wrap(request));
                if (!echoed) {
                    tally.firstFailure.compareAndSet(null, error == null ? "the echo differs from the request" : Main.message(error));
                }
                if (measured && echoed) {
                    tally.latencies.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                    tally.ok.incrementAndGet();
                } else if (measured) {
                    tally.failed.incrementAndGet();
                }
                window.release();
            });
        }
        window.acquire(concurrency);
    }

    /** Prints the summary line once: at the end, or from the shutdown hook when interrupted (Ctrl-C) with calls still running. */
    private void summary(Tally tally, boolean interrupted) {
        if (!tally.reported.compareAndSet(false, true)) {
            return;
        }
        int ok = tally.ok.get();
        int failed = tally.failed.get();
        int started = tally.started.get();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "calls=%d ok=%d failures=%d", count, ok, failed));
        if (started < count) {
            line.append(" not_started=").append(count - started);
        }
        if (started > ok + failed) {
            line.append(" unfinished=").append(started - ok - failed);
        }
        line.append(" size=").append(size);
        if (ok > 0) {
            double seconds = (System.nanoTime() - tally.begin) / 1e9;
            line.append(String.format(Locale.ROOT, " p50_us=%d p99_us=%d calls_per_s=%.0f", tally.latencies.getValueAtPercentile(50),
                    tally.latencies.getValueAtPercentile(99), ok / seconds));
        }
        if (certDir != null && warmup == 0) {
            line.append(" (the first call includes the TLS handshake)");
        }
        if (interrupted) {
            line.append(" (interrupted)");
        }
        System.out.println(line);
        System.out.flush();
    }

    /** What the measured calls came to, read by the summary at the end or, on Ctrl-C, while calls still run. */
    private static final class Tally {
        final Histogram latencies = new ConcurrentHistogram(3);
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        /** Of any call, warm-up ones included: no call starts after it. */
        final AtomicReference<String> firstFailure = new AtomicReference<>();
        final AtomicBoolean reported = new AtomicBoolean();
        volatile long begin = System.nanoTime();
    }
}
