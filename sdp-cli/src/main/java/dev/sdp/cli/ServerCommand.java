package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.transport.TransportConfig;
import dev.sdp.transport.TransportStats.Counter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
            stop.await();
            if (socket.terminated().isCompletedExceptionally()) {
                System.err.println("sdp server: the socket failed and closed: " + Main.message(socket.terminated().exceptionNow()));
                return 1;
            }
            var stats = socket.stats();
            System.out.printf("stopped: requests=%d handshakes=%d handshake_failures=%d rejected_records=%d%n",
                    stats.get(Counter.REQUESTS_DELIVERED), stats.get(Counter.HANDSHAKES_COMPLETED), stats.get(Counter.HANDSHAKES_FAILED),
                    stats.records().rejections());
            System.out.println("statistics: " + stats);
        }
        return 0;
    }
}
