package dev.sdp.cli;

import dev.sdp.kv.KvServer;
import dev.sdp.kv.KvStore;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.transport.TransportConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code sdp kv-server}: one in-memory store served over TCP, TLS 1.3/TCP and SDP at once. */
@Command(name = "kv-server", mixinStandardHelpOptions = true,
        description = "Run a Redis-compatible (RESP2) key-value server over TCP, TLS 1.3/TCP and SDP sharing one database.")
final class KvServerCommand implements Callable<Integer> {
    @Option(names = "--tcp", paramLabel = "PORT", description = "plain TCP port (RESP2, as Redis)")
    private Integer tcp;

    @Option(names = "--tls", paramLabel = "PORT", description = "TLS 1.3 over TCP port (needs --cert-dir)")
    private Integer tls;

    @Option(names = "--sdp", paramLabel = "PORT", description = "SDP port: TLS 1.3 handshake with --cert-dir, plaintext mode with --sdp-plaintext")
    private Integer sdp;

    @Option(names = "--sdp-plaintext", description = "serve SDP without encryption (the unencrypted baseline)")
    private boolean sdpPlaintext;

    @Option(names = "--cert-dir", paramLabel = "DIR", description = "TLS credentials written by 'sdp keygen'")
    private Path certDir;

    @Option(names = "--bind", paramLabel = "HOST", defaultValue = "127.0.0.1", converter = Addresses.HostConverter.class,
            description = "address to listen on (empty: every interface; default ${DEFAULT-VALUE})")
    private InetAddress bind;

    @Option(names = "--max-memory", paramLabel = "BYTES", defaultValue = "1073741824",
            description = "data the store may hold before writes are refused (default ${DEFAULT-VALUE})")
    private long maxMemory;

    @Option(names = "--client-query-buffer-limit", paramLabel = "BYTES", defaultValue = "" + KvServer.Limits.DEFAULT_CLIENT_QUERY_BUFFER_LIMIT,
            description = "memory one command may take while it is read; a client over it gets an error and is disconnected"
                    + " (default ${DEFAULT-VALUE})")
    private long clientQueryBufferLimit;

    @Option(names = "--client-output-buffer-limit", paramLabel = "BYTES", defaultValue = "" + KvServer.Limits.DEFAULT_CLIENT_OUTPUT_BUFFER_LIMIT,
            description = "replies not yet written one client may have; a client over it gets an error and is disconnected"
                    + " (default ${DEFAULT-VALUE})")
    private long clientOutputBufferLimit;

    @Option(names = "--client-buffers-memory", paramLabel = "BYTES", defaultValue = "" + KvServer.Limits.DEFAULT_CLIENT_BUFFERS_MEMORY,
            description = "memory all clients' commands being read and replies not yet written may take together, besides --max-memory;"
                    + " the client that finds it full gets an OOM error and is disconnected (default ${DEFAULT-VALUE})")
    private long clientBuffersMemory;

    @Option(names = "--write-timeout", paramLabel = "SECONDS", defaultValue = "" + KvServer.Limits.DEFAULT_WRITE_TIMEOUT_SECONDS,
            description = "a client that takes none of a reply for this long is disconnected (default ${DEFAULT-VALUE})")
    private long writeTimeout;

    @Mixin
    private TransportOptions transport;

    @Override
    public Integer call() throws Exception {
        if (tcp == null && tls == null && sdp == null) {
            throw new IllegalArgumentException("give at least one of --tcp PORT, --tls PORT, --sdp PORT");
        }
        if ((tls != null || (sdp != null && !sdpPlaintext)) && certDir == null) {
            throw new IllegalArgumentException("--tls and --sdp need --cert-dir DIR (credentials from 'sdp keygen'), or --sdp-plaintext for SDP");
        }
        checkPort("--tcp", tcp);
        checkPort("--tls", tls);
        checkPort("--sdp", sdp);
        Checks.atLeast("--max-memory", maxMemory, 0);
        Checks.within("--client-query-buffer-limit", clientQueryBufferLimit, KvServer.Limits.MIN_BUFFER, KvServer.Limits.MAX_BUFFER);
        Checks.within("--client-output-buffer-limit", clientOutputBufferLimit, KvServer.Limits.MIN_BUFFER, KvServer.Limits.MAX_BUFFER);
        Checks.atLeast("--client-buffers-memory", clientBuffersMemory, 0);
        Checks.atLeast("--write-timeout", writeTimeout, 1);
        TransportConfig sdpConfig = transport.config(new InetSocketAddress(bind, 0));
        SSLContext tlsContext = certDir == null ? null : Endpoints.serverContext(certDir);
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        KvServer.Limits limits = new KvServer.Limits(clientQueryBufferLimit, clientOutputBufferLimit, clientBuffersMemory,
                Duration.ofSeconds(writeTimeout));
        try (KvServer server = new KvServer(new KvStore(maxMemory), limits)) {
            // Every listener is bound before any is announced: a user (or script) that sees
            // "listening" can rely on all of them.
            Map<String, InetSocketAddress> listening = new LinkedHashMap<>();
            if (tcp != null) {
                listening.put("tcp", listen(new InetSocketAddress(bind, tcp), address -> server.listenTcp(address, null)));
            }
            if (tls != null) {
                listening.put("tls", listen(new InetSocketAddress(bind, tls), address -> server.listenTcp(address, tlsContext)));
            }
            if (sdp != null) {
                HandshakeConfig handshakes = sdpPlaintext ? null : HandshakeConfig.builder(tlsContext).build();
                listening.put("sdp", listen(new InetSocketAddress(bind, sdp), address -> server.listenSdp(address, handshakes, sdpConfig)));
            }
            listening.forEach((kind, address) -> System.out.println("listening " + kind + " on " + Addresses.format(address)));
            System.out.flush();
            server.failure().whenComplete((never, failure) -> stop.countDown());
            stop.await();
            if (server.failure().isCompletedExceptionally()) {
                System.err.println("sdp kv-server: a listener failed and closed: " + Main.message(server.failure().exceptionNow()));
                return 1;
            }
            StringBuilder stopped = new StringBuilder("stopped: commands=" + server.store().commands() + " errors=" + server.store().errors());
            server.statistics().forEach((name, value) -> stopped.append(' ').append(name).append('=').append(value));
            System.out.println(stopped);
        }
        return 0;
    }

    private static void checkPort(String option, Integer port) {
        if (port != null) {
            Checks.within(option, port, 0, 65535);
        }
    }

    /** How one listener binds. */
    private interface Listener {
        InetSocketAddress bind(InetSocketAddress address) throws IOException;
    }

    private static InetSocketAddress listen(InetSocketAddress address, Listener listener) throws IOException {
        try {
            return listener.bind(address);
        } catch (IOException e) {
            throw Endpoints.bindFailure(address, e);
        }
    }
}
