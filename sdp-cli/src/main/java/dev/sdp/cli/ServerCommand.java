package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.SocketStatistics;
import dev.sdp.Statistic;
import dev.sdp.transport.TransportConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code sdp server}: an echo RPC server until SIGINT or SIGTERM, then its statistics. */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Run an SDP echo server.")
final class ServerCommand implements Callable<Integer> {
    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", converter = Addresses.Converter.class,
            description = "address to bind (:PORT: every interface; port 0: any free port)")
    private InetSocketAddress listen;

    @Option(names = "--cert-dir", paramLabel = "DIR", description = "TLS credentials written by 'sdp keygen'")
    private Path certDir;

    @Option(names = "--require-client-cert", description = "require clients to present a certificate signed by the CA (mutual TLS)")
    private boolean requireClientCert;

    @Option(names = "--plaintext", description = "no encryption (the unencrypted baseline)")
    private boolean plaintext;

    @Option(names = "--stats-interval", paramLabel = "DURATION", converter = Durations.class,
            description = "every DURATION (e.g. 1s, 500ms, PT10S), print the counters that changed since the last report, as deltas")
    private Duration statsInterval;

    @Mixin
    private TransportOptions transport;

    @Override
    public Integer call() throws Exception {
        if (requireClientCert && certDir == null) {
            throw new IllegalArgumentException("--require-client-cert needs --cert-dir");
        }
        TransportConfig config = transport.config(listen);
        SdpSocket.Builder builder = Endpoints.secure(SdpSocket.builder(), certDir, plaintext, true, requireClientCert)
                .handler(request -> request.reply(request.payload()));
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        try (SdpSocket socket = Endpoints.open(builder, listen, config)) {
            System.out.println("listening on " + Addresses.format(socket.localAddress()));
            System.out.flush();
            socket.terminated().whenComplete((done, failure) -> stop.countDown());
            if (statsInterval == null) {
                stop.await();
            } else {
                reportEvery(socket, statsInterval, stop);
            }
            if (socket.terminated().isCompletedExceptionally()) {
                System.err.println("sdp server: the socket failed and closed: " + Main.message(socket.terminated().exceptionNow()));
                return 1;
            }
            SocketStatistics stats = socket.statistics();
            System.out.printf("stopped: requests=%d handshakes=%d handshake_failures=%d rejected_records=%d%n",
                    stats.get(Statistic.REQUESTS_DELIVERED), stats.get(Statistic.HANDSHAKES_COMPLETED), stats.get(Statistic.HANDSHAKES_FAILED),
                    stats.recordsRejected());
            System.out.println("statistics: " + stats);
        }
        return 0;
    }

    /** Until {@code stop}, prints each {@code interval} what changed since the last report (nothing when nothing did), as AeronStat does. */
    private static void reportEvery(SdpSocket socket, Duration interval, CountDownLatch stop) throws InterruptedException {
        SocketStatistics last = socket.statistics();
        while (!stop.await(interval.toNanos(), TimeUnit.NANOSECONDS)) {
            SocketStatistics now = socket.statistics();
            String changed = now.since(last).toString();
            if (!changed.isEmpty()) {
                System.out.println("stats +" + interval.toMillis() + "ms: " + changed);
                System.out.flush();
            }
            last = now;
        }
    }
}
