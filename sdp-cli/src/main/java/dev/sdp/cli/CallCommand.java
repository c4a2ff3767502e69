package dev.sdp.cli;

import dev.sdp.SdpSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sdp call}: sends RPCs of random bytes to an echo server, checks that every answer is the
 * same bytes, and prints one summary line (of the calls after the warm-up); exits with 1 when any
 * call failed. After the first
 * failure no new calls start, so an unreachable server is reported at once.
 */
@Command(name = "call", mixinStandardHelpOptions = true, description = "Call an SDP echo server and check every echo.")
final class CallCommand implements Callable<Integer> {
    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", converter = Endpoints.AddressConverter.class,
            description = "the server")
    private InetSocketAddress to;

    @Option(names = "--size", required = true, paramLabel = "BYTES", description = "request size")
    private int size;

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

    @Override
    public Integer call() throws Exception {
        if (size < 0 || count < 1 || concurrency < 1 || timeoutSeconds < 1 || warmup < 0) {
            throw new IllegalArgumentException("--size and --warmup must be >= 0, --count, --concurrency and --timeout >= 1");
        }
        InetSocketAddress local = new InetSocketAddress(to.getAddress() instanceof java.net.Inet6Address ? "::" : "0.0.0.0", 0);
        Histogram latencies = new ConcurrentHistogram(3);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        Semaphore window = new Semaphore(concurrency);
        SplittableRandom random = new SplittableRandom();
        int started = 0;
        long begin = System.nanoTime();
        // The handshake gives up no later than a call would, so an unreachable server is reported as fast.
        Duration handshakeTimeout = Duration.ofSeconds(Math.min(timeoutSeconds, 5));
        try (SdpSocket socket = Endpoints.secure(SdpSocket.builder().bind(local), certDir, plaintext, false, false, handshakeTimeout).build()) {
            for (; started < warmup + count && firstFailure.get() == null; started++) {
                if (started == warmup && warmup > 0) {
                    // The warm-up calls are done: measure from here.
                    window.acquire(concurrency);
                    latencies.reset();
                    ok.set(0);
                    begin = System.nanoTime();
                    window.release(concurrency);
                }
                byte[] request = new byte[size];
                random.nextBytes(request);
                window.acquire();
                long t0 = System.nanoTime();
                CompletableFuture<ByteBuffer> call = socket.call(to, ByteBuffer.wrap(request.clone()), Duration.ofSeconds(timeoutSeconds));
                call.whenComplete((response, error) -> {
                    if (error == null && response.equals(ByteBuffer.wrap(request))) {
                        latencies.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, error == null ? "the echo differs from the request" : Main.message(error));
                    }
                    window.release();
                });
            }
            window.acquire(concurrency);
            if (printStats) {
                System.out.println("statistics: " + socket.stats());
            }
        }
        double seconds = (System.nanoTime() - begin) / 1e9;
        int notStarted = warmup + count - started;
        System.out.printf(Locale.ROOT, "calls=%d ok=%d failures=%d size=%d p50_us=%d p99_us=%d calls_per_s=%.0f%s%n", count, ok.get(),
                failed.get() + notStarted, size, latencies.getValueAtPercentile(50), latencies.getValueAtPercentile(99), ok.get() / seconds,
                certDir != null && warmup == 0 ? " (the first call includes the TLS handshake)" : "");
        if (firstFailure.get() != null) {
            System.err.println("sdp call: " + (failed.get() + notStarted) + " of " + count + " calls failed; first failure: " + firstFailure.get());
            return 1;
        }
        return 0;
    }
}
