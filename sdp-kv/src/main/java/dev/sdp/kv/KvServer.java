package dev.sdp.kv;

import dev.sdp.IncomingRequest;
import dev.sdp.SdpSocket;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.transport.TransportConfig;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * One {@link KvStore} served over RESP2 on plain TCP, on TLS 1.3 over TCP (JSSE), and over SDP
 * (one command per RPC: the request is the RESP-encoded command, the response its RESP reply), all
 * at once, as the paper added an SDP socket to Redis beside its TCP sockets. TCP connections
 * pipeline as Redis clients expect ({@link Connection}).
 *
 * <p>One hostile client cannot stop the others: replies are built while the store's lock is held
 * and written after it is released; a write that makes no progress for a while ends its
 * connection; SDP requests run on a few worker threads, never on the SDP socket's I/O thread; and
 * the memory of commands being read and replies not yet written is capped per client and over all
 * clients ({@link Limits}, {@link ClientMemory}). Every client ended for a limit is counted
 * ({@link #statistics}).
 */
public final class KvServer implements AutoCloseable {
    /**
     * Longest bulk string: a longer one is a protocol error, as Redis's proto-max-bulk-len (512 MB
     * there). What a command may actually hold is {@link Limits#clientQueryBufferLimit}.
     */
    static final long MAX_BULK = Limits.MAX_BUFFER;
    private static final int MAX_CONNECTIONS = 10_000;
    /** How often expired keys are swept and stalled writes looked for. */
    private static final long HOUSEKEEPING_MILLIS = 100;

    /**
     * What clients may hold and how long a write to one may stall, as Redis's limits of the same
     * names (but with limits for every client: Redis leaves normal clients' output unlimited).
     *
     * @param clientQueryBufferLimit bytes one command's arguments may take while it is read, counted
     *     as they arrive (default 64 MiB, SDP's largest message; Redis: 1 GiB); a command over it is
     *     answered with an error and its client disconnected
     * @param clientOutputBufferLimit bytes of replies not yet written one client may have (default
     *     128 MiB: twice the longest value); a reply over it is replaced by an error and its client
     *     disconnected
     * @param clientBuffersMemory bytes all clients' query and output buffers may take together,
     *     beyond the first {@value ClientMemory#UNCOUNTED} bytes of each (default 256 MiB), apart
     *     from the store's own limit on its data; the client whose command or reply finds it full is
     *     answered with an OOM error and disconnected
     * @param writeTimeout how long a write to a client may make no progress before the client is
     *     disconnected (default 30 s)
     */
    public record Limits(long clientQueryBufferLimit, long clientOutputBufferLimit, long clientBuffersMemory, Duration writeTimeout) {
        public static final long DEFAULT_CLIENT_QUERY_BUFFER_LIMIT = 64L << 20;
        public static final long DEFAULT_CLIENT_OUTPUT_BUFFER_LIMIT = 128L << 20;
        public static final long DEFAULT_CLIENT_BUFFERS_MEMORY = 256L << 20;
        public static final long DEFAULT_WRITE_TIMEOUT_SECONDS = 30;
        /** Smallest buffer limit: room for a batch of pipelined replies and the error that ends a client. */
        public static final long MIN_BUFFER = 64 * 1024;
        /** Largest buffer limit: a buffer is one Java array. */
        public static final long MAX_BUFFER = 1L << 30;

        /** Checks the limits. */
        public Limits {
            for (long limit : new long[] {clientQueryBufferLimit, clientOutputBufferLimit}) {
                if (limit < MIN_BUFFER || limit > MAX_BUFFER) {
                    throw new IllegalArgumentException("client buffer limits must be within " + MIN_BUFFER + ".." + MAX_BUFFER + " bytes: " + limit);
                }
            }
            if (clientBuffersMemory < 0 || writeTimeout.isNegative() || writeTimeout.isZero()) {
                throw new IllegalArgumentException("client buffers memory must not be negative, and the write timeout must be positive");
            }
        }

        /** The documented defaults. */
        public static Limits defaults() {
            return new Limits(DEFAULT_CLIENT_QUERY_BUFFER_LIMIT, DEFAULT_CLIENT_OUTPUT_BUFFER_LIMIT, DEFAULT_CLIENT_BUFFERS_MEMORY,
                    Duration.ofSeconds(DEFAULT_WRITE_TIMEOUT_SECONDS));
        }
    }

    /** What {@link #statistics} counts; each is named there in snake_case. */
    public enum Counter {
        /** Malformed requests, answered with a protocol error (a TCP client is then disconnected). */
        PROTOCOL_ERRORS,
        /** Connections refused because {@value KvServer#MAX_CONNECTIONS} were open. */
        REFUSED_CONNECTIONS,
        /** Clients ended for a command over {@link Limits#clientQueryBufferLimit} (over SDP: requests refused). */
        CLIENT_QUERY_BUFFER_LIMIT_DISCONNECTIONS,
        /** Clients ended for replies over {@link Limits#clientOutputBufferLimit} (over SDP: requests refused). */
        CLIENT_OUTPUT_BUFFER_LIMIT_DISCONNECTIONS,
        /** Clients ended because all clients' buffers held {@link Limits#clientBuffersMemory} (over SDP: requests refused). */
        CLIENT_BUFFERS_FULL_DISCONNECTIONS,
        /** Clients ended because a write to them made no progress for {@link Limits#writeTimeout}. */
        WRITE_TIMEOUT_DISCONNECTIONS;

        /** The name in {@link #statistics}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final CompletableFuture<Void> failure = new CompletableFuture<>();
    private final KvStore store;
    private final Limits limits;
    private final ClientMemory memory;
    private final List<AutoCloseable> listeners = new CopyOnWriteArrayList<>();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLongArray counts = new AtomicLongArray(Counter.values().length);
    /** Commands run one at a time in the store: a thread per core is all parsing and encoding can use. */
    private final ExecutorService sdpWorkers = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
            Thread.ofPlatform().daemon().name("kv-sdp-", 0).factory());
    private final Thread housekeeping;
    private volatile boolean closed;

    /** Serves {@code store} with the default {@link Limits}. */
    public KvServer(KvStore store) {
        this(store, Limits.defaults());
    }

    public KvServer(KvStore store, Limits limits) {
        this.store = store;
        this.limits = limits;
        this.memory = new ClientMemory(limits);
        this.housekeeping = Thread.ofPlatform().daemon().name("kv-housekeeping").start(() -> {
            while (!closed) {
                store.sweepExpired(1000);
                abortStalledWrites();
                try {
                    Thread.sleep(HOUSEKEEPING_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** The store behind every listener. */
    public KvStore store() {
        return store;
    }

    /** How often {@code counter} has happened. */
    public long count(Counter counter) {
        return counts.get(counter.ordinal());
    }

    /**
     * Every {@link Counter} under its {@link Counter#key}, then {@code client_buffers_bytes}: the
     * memory clients' buffers hold now, as the global limit counts it.
     */
    public Map<String, Long> statistics() {
        Map<String, Long> statistics = new LinkedHashMap<>();
        for (Counter c : Counter.values()) {
            statistics.put(c.key(), count(c));
        }
        statistics.put("client_buffers_bytes", memory.held());
        return statistics;
    }

    void record(Counter counter) {
        counts.incrementAndGet(counter.ordinal());
    }

    ClientMemory memory() {
        return memory;
    }

    /** Serves RESP on TCP at {@code bind}, with TLS 1.3 when {@code tls} is not null; returns the bound address. */
    public InetSocketAddress listenTcp(InetSocketAddress bind, SSLContext tls) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(bind, 512);
        listeners.add(server);
        // TLS is layered over each accepted TCP socket, so the write watchdog can close the TCP
        // socket under a TLS write that is stuck (closing a TLS socket would wait for that write).
        SSLSocketFactory layer = tls == null ? null : tls.getSocketFactory();
        Thread.ofPlatform().daemon().name("kv-accept-" + server.getLocalPort()).start(() -> accept(server, layer));
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    /**
     * Completes exceptionally when a listener fails by itself (an SDP socket whose I/O thread died
     * and closed it): the server no longer serves everyone, so a process should exit rather than
     * live on half deaf. Never completes normally.
     */
    public CompletableFuture<Void> failure() {
        return failure;
    }

    /** Serves over SDP at {@code bind}: TLS 1.3 handshakes with {@code tls}, or plaintext mode when it is null. */
    public InetSocketAddress listenSdp(InetSocketAddress bind, HandshakeConfig tls, TransportConfig config) throws IOException {
        SdpSocket.Builder builder = SdpSocket.builder().bind(bind).config(config).handler(this::serve).handlerExecutor(sdpWorkers);
        SdpSocket socket = (tls == null ? builder.plaintextPeers(true) : builder.tls(tls)).build();
        listeners.add(socket);
        socket.terminated().whenComplete((closed, failure) -> {
            if (failure != null) {
                this.failure.completeExceptionally(failure);
            }
        });
        return socket.localAddress();
    }

    private void accept(ServerSocket server, SSLSocketFactory tls) {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;
            }
            if (connections.size() >= MAX_CONNECTIONS) {
                record(Counter.REFUSED_CONNECTIONS);
                closeQuietly(socket);
                continue;
            }
            Connection connection = new Connection(this, socket, tls);
            connections.add(connection);
            Thread.ofVirtual().name("kv-conn").start(() -> {
                try {
                    connection.serve();
                } finally {
                    connections.remove(connection);
                }
            });
        }
    }

    private void abortStalledWrites() {
        long now = System.nanoTime();
        for (Connection c : connections) {
            if (c.stalled(now, limits.writeTimeout().toNanos())) {
                record(Counter.WRITE_TIMEOUT_DISCONNECTIONS);
                c.abort();
            }
        }
    }

    /** Reads the next command; null at the end of the client's input. */
    @FunctionalInterface
    interface CommandSource {
        List<byte[]> read() throws IOException;
    }

    /**
     * Reads one command from {@code source} into {@code query} and runs it, its reply appended to
     * {@code replies}. A malformed command, or one whose command or reply is refused memory, is
     * answered with an error instead, counted, and ends the client; so does the end of its input.
     */
    KvStore.After run(CommandSource source, ClientMemory.Buffer query, ReplyBuffer replies) throws IOException {
        int before = replies.size();
        try {
            List<byte[]> command = source.read();
            return command == null ? KvStore.After.CLOSE : store.execute(command, replies.writer());
        } catch (Resp.ProtocolException e) {
            return refuse(Counter.PROTOCOL_ERRORS, "ERR Protocol error: " + e.getMessage(), replies, before);
        } catch (ClientMemory.LimitException e) {
            return refuse(e.counter(), e.getMessage(), replies, before);
        } finally {
            query.releaseAll();
        }
    }

    private KvStore.After refuse(Counter counter, String error, ReplyBuffer replies, int before) throws IOException {
        record(counter);
        replies.truncate(before);
        replies.writer().error(error);
        return KvStore.After.CLOSE;
    }

    /** One SDP request: exactly one RESP command. Runs on {@link #sdpWorkers}. */
    private void serve(IncomingRequest request) throws IOException {
        ByteBuffer payload = request.payload();
        ClientMemory.Buffer query = memory.query();
        Resp.Reader reader = new Resp.Reader(new ByteBufferInput(payload), MAX_BULK, query);
        ReplyBuffer reply = new ReplyBuffer(memory.output());
        try {
            run(() -> {
                List<byte[]> command;
                try {
                    command = reader.readCommand();
                } catch (EOFException e) {
                    throw new Resp.ProtocolException(e.getMessage());
                }
                if (command == null || payload.hasRemaining()) {
                    throw new Resp.ProtocolException(command == null ? "empty request" : "one command per request");
                }
                return command;
            }, query, reply);
            request.reply(reply.contents());
        } finally {
            reply.clear();
        }
    }

    /** Reads a ByteBuffer as a stream (the buffer's position advances). */
    static final class ByteBufferInput extends InputStream {
        private final ByteBuffer buffer;

        ByteBufferInput(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public int read() {
            return buffer.hasRemaining() ? buffer.get() & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (!buffer.hasRemaining()) {
                return -1;
            }
            int n = Math.min(len, buffer.remaining());
            buffer.get(b, off, n);
            return n;
        }

        @Override
        public int available() {
            return buffer.remaining();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // Closing: nothing to recover.
        }
    }

    @Override
    public void close() {
        closed = true;
        housekeeping.interrupt();
        listeners.forEach(KvServer::closeQuietly);
        connections.forEach(Connection::abort);
        sdpWorkers.shutdown();
    }
}
