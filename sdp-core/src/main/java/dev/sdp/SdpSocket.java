package dev.sdp;

import dev.sdp.crypto.EpochKeys;
import dev.sdp.io.DatagramDriver;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.transport.PreparedMessage;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.ServerCall;
import dev.sdp.transport.TransportConfig;
import dev.sdp.transport.TransportStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import javax.net.ssl.SSLSession;

/**
 * An SDP endpoint bound to one UDP address, acting as client and server at once, like a Homa
 * socket. Calls return {@link CompletableFuture}s (or block); requests from peers go to a
 * {@link RequestHandler} or, without one, to {@link #receive}. With {@link Builder#tls} the first
 * call to a peer runs a TLS 1.3 handshake over the same UDP port (calls made meanwhile wait for it)
 * and the session's keys come from it; otherwise, or in addition, sessions are installed per peer
 * with keys for both directions ({@link #installKeys}) or as plaintext ({@link #installPlaintext}).
 *
 * <p>Threading: every method may be called from any thread. One lock guards the protocol state.
 * A message's first segment (64 KiB) is sealed on the thread that sends it, so a small RPC pays no
 * thread hand-off on the way out; the rest of a larger message is sealed on a shared pool of record
 * workers, segment by segment, each segment sent as soon as it is sealed, and the records of large
 * incoming messages are opened there too, so no thread that small RPCs depend on (the I/O thread, a
 * handler running on it) spends long on one large message. An I/O thread receives datagrams and runs
 * timers; a caller blocked in {@link #callBlocking} first polls the socket itself for
 * {@code callerSpin} and usually receives its response without a hand-off, and while any caller
 * polls, the I/O thread keeps out of the way. Futures complete on the thread that took the outcome
 * out of the socket (the I/O thread, a polling caller, or a caller whose own call or reply produced
 * it), so their callbacks must not block; handlers run there too unless a handler executor is
 * configured (it moves handlers only, not future callbacks). After activity the I/O thread
 * polls for {@code idleSpin} before it blocks, trading a little CPU for latency; both defaults are
 * short.
 */
public final class SdpSocket implements AutoCloseable {
    /** Extra caller polling per request byte: about what carrying and sealing a byte both ways costs here. */
    private static final long SPIN_NANOS_PER_REQUEST_BYTE = 4;
    private static final System.Logger LOG = System.getLogger(SdpSocket.class.getName());

    /** Guards {@link #endpoint} (see {@link Endpoint} for what is safe without it). */
    private final ReentrantLock lock = new ReentrantLock();
    private final TransportStats stats = new TransportStats();
    private final Endpoint endpoint;
    private final DatagramDriver driver;
    private final Dispatcher dispatcher;
    private final IoLoop io;
    private final InetSocketAddress localAddress;
    private final long callerSpinNanos;
    /** The deadline of calls made without one; Long.MAX_VALUE for none. */
    private final long callTimeoutNanos;
    private final Consumer<PendingCall> abandon = this::abandon;
    private volatile boolean closed;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    private SdpSocket(Builder b) throws IOException {
        // An IPv6 socket's datagrams carry a 40-byte IP header: its packets must be 20 bytes shorter
        // to fit the same MTU (on a dual-stack socket, IPv4 peers just get slightly short packets).
        TransportConfig config = b.bind.getAddress() instanceof Inet6Address && !b.config.ipv6() ? b.config.withIpv6(true) : b.config;
        this.endpoint = new Endpoint(config, stats, b.tls, b.plaintextPeers, WorkerPools.records(), WorkerPools.handshakes(), this::workReady);
        this.driver = b.io.open(b.bind);
        this.localAddress = driver.localAddress();
        LOG.log(System.Logger.Level.DEBUG, "SDP socket bound to {0} ({1})", localAddress, driver.getClass().getSimpleName());
        endpoint.receiveBuffer(driver.receiveBufferBytes());
        this.callerSpinNanos = b.callerSpin.toNanos();
        this.callTimeoutNanos = b.callTimeout.isZero() ? Long.MAX_VALUE : b.callTimeout.toNanos();
        this.dispatcher = new Dispatcher(b.handler, b.handlerExecutor, new IncomingRequest.Replier() {
            @Override
            public void reply(ServerCall call, ByteBuffer response) throws RpcException {
                SdpSocket.this.reply(call, response);
            }

            @Override
            public void fail(ServerCall call, String message) throws RpcException {
                SdpSocket.this.fail(call, message);
            }
        }, endpoint, stats);
        this.io = new IoLoop(driver, lock, endpoint, dispatcher, stats, b.idleSpin.toNanos(), "sdp-io-" + localAddress.getPort(),
                config.maxDatagram(), this::failed);
        io.start();
    }

    /**
     * A builder; only {@link Builder#bind} is required.
     *
     * @return a builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The bound address (with the port chosen when binding to port 0).
     *
     * @return the local address
     */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /**
     * A snapshot of this socket's counters, each documented in {@link Statistic}.
     *
     * @return the counters at this moment
     */
    public SocketStatistics statistics() {
        return SocketStatistics.of(stats);
    }

    /**
     * Requests whose handler threw (each answered with an error response, so the caller's call fails at once).
     *
     * @return how many handler invocations threw
     */
    public long handlerErrors() {
        return dispatcher.handlerErrors();
    }

    /**
     * Installs an encrypted session with {@code peer}: this side's write keys and the peer's write
     * keys, which must come from different secrets (refused otherwise: a peer's own requests
     * reflected back would be accepted). Give both ends fresh secrets after either restarts: the
     * same secrets again risk reusing record and control nonces (made unlikely, not impossible, by
     * starting RPC IDs and control packet numbers at random points), and the side that did not restart rejects the other's IDs as replays.
      *
      * @param peer the peer's address
      * @param sendKeys the keys this side seals with (epoch 0)
      * @param receiveKeys the keys the peer seals with (epoch 0)
     */
    public void installKeys(InetSocketAddress peer, EpochKeys sendKeys, EpochKeys receiveKeys) {
        endpoint.installKeys(peer, sendKeys, receiveKeys);
    }

    /**
     * Installs an unencrypted session with {@code peer} (the "Homa without encryption" baseline).
     *
     * @param peer the peer's address
     */
    public void installPlaintext(InetSocketAddress peer) {
        endpoint.installPlaintext(peer);
    }

    /**
     * Asks for a key update of this side's direction of the session with {@code peer}: new messages
     * go out under fresh keys as soon as the protocol allows (docs/PROTOCOL.md §7). Returns false
     * without an encrypted session.
      *
      * @param peer the peer's address
      * @return whether an update was asked for
     */
    public boolean updateKeys(InetSocketAddress peer) {
        return endpoint.updateKeys(peer);
    }

    /**
     * The suite and key epochs of the encrypted session with {@code peer}, if there is one.
     *
     * @param peer the peer's address
     * @return the session's suite and epochs, or empty
     */
    public Optional<KeyEpochs> keyEpochs(InetSocketAddress peer) {
        return Optional.ofNullable(endpoint.keyEpochs(peer));
    }

    /**
     * The TLS session a handshake with {@code peer} established, if the current session came from one.
     *
     * @param peer the peer's address
     * @return the TLS session, or empty
     */
    public Optional<SSLSession> tlsSession(InetSocketAddress peer) {
        return Optional.ofNullable(endpoint.tlsSession(peer));
    }

    /**
     * Sessions that came from handshakes and are open now.
     *
     * @return the number of such sessions
     */
    public int tlsSessionCount() {
        return endpoint.tlsSessionCount();
    }

    /**
     * Server-side handshakes that have started but not finished (for monitoring and tests).
     *
     * @return the number of such handshakes
     */
    public int pendingHandshakes() {
        lock.lock();
        try {
            return endpoint.pendingHandshakes();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the session with {@code peer} on this side: its pending calls fail, and with TLS
     * configured the next call handshakes again. Returns whether there was a session.
      *
      * @param peer the peer's address
      * @return whether there was a session
     */
    public boolean closeSession(InetSocketAddress peer) {
        lock.lock();
        try {
            return endpoint.endSession(peer, new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer + " closed"), null);
        } finally {
            io.unlockAfterChange();
        }
    }

    /**
     * Sends {@code request} (position to limit; consumed) to {@code peer}. The future completes with
     * the response, or fails with an {@link RpcException} saying why; cancelling it abandons the call.
     * A request of more than 64 KiB is sealed on the record workers after this returns: its bytes
     * must not change until the future completes.
      *
      * @param peer the server's address
      * @param request the request bytes
      * @return the future of the response
     */
    public CompletableFuture<ByteBuffer> call(InetSocketAddress peer, ByteBuffer request) {
        return call(peer, request, callTimeoutNanos, true);
    }

    /**
     * {@link #call} that fails with {@link RpcException.Reason#TIMEOUT} if no response has arrived
     * within {@code timeout} (instead of the socket's {@link Builder#callTimeout}).
      *
      * @param peer the server's address
      * @param request the request bytes
      * @param timeout the call's deadline from now
      * @return the future of the response
     */
    public CompletableFuture<ByteBuffer> call(InetSocketAddress peer, ByteBuffer request, Duration timeout) {
        return call(peer, request, timeout.toNanos(), true);
    }

    /**
     * A blocking call within the socket's {@link Builder#callTimeout}: the response, or the {@link RpcException} that ended the call.
     *
     * @param peer the server's address
     * @param request the request bytes
     * @return the response
     * @throws RpcException if the call failed (its reason says why)
     * @throws InterruptedException if the waiting thread was interrupted
     */
    public ByteBuffer callBlocking(InetSocketAddress peer, ByteBuffer request) throws RpcException, InterruptedException {
        return callBlocking(peer, request, callTimeoutNanos);
    }

    /**
     * A blocking call that fails with {@link RpcException.Reason#TIMEOUT} if not answered within {@code timeout}.
     *
     * @param peer the server's address
     * @param request the request bytes
     * @param timeout the call's deadline from now
     * @return the response
     * @throws RpcException if the call failed (its reason says why)
     * @throws InterruptedException if the waiting thread was interrupted
     */
    public ByteBuffer callBlocking(InetSocketAddress peer, ByteBuffer request, Duration timeout) throws RpcException, InterruptedException {
        return callBlocking(peer, request, timeout.toNanos());
    }

    private ByteBuffer callBlocking(InetSocketAddress peer, ByteBuffer request, long timeoutNanos) throws RpcException, InterruptedException {
        long requestBytes = request.remaining();
        CompletableFuture<ByteBuffer> future = call(peer, request, timeoutNanos, true);
        if (callerSpinNanos > 0) {
            // A large request takes longer to carry and, usually, to answer: poll longer for it, since
            // two thread hand-offs cost more than the polling on a round trip that long.
            io.pollUntil(future, System.nanoTime() + callerSpinNanos + Math.min(requestBytes * SPIN_NANOS_PER_REQUEST_BYTE, 1_000_000));
        }
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RpcException rpc) {
                throw rpc;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Without a handler: the next request, or null after {@code timeout}.
     *
     * @param timeout how long to wait
     * @return the request, or null
     * @throws InterruptedException if the waiting thread was interrupted
     */
    public IncomingRequest receive(Duration timeout) throws InterruptedException {
        return dispatcher.receive(timeout);
    }

    /** Closes the socket; pending calls fail with {@link RpcException.Reason#CLOSED}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        io.stop();
        lock.lock();
        try {
            endpoint.close();
        } finally {
            io.unlockAfterChange();
        }
        try {
            driver.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            terminated.complete(null);
        }
    }

    /**
     * Completes when the socket has closed: normally after {@link #close}, or exceptionally, with
     * the cause, when its I/O thread failed and the socket closed itself (its calls then fail with
     * {@link RpcException.Reason#CLOSED}). A server process waits on it to exit rather than live on deaf.
      *
      * @return the future of the socket's end
     */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    /** The I/O thread failed: close, so nobody waits on a socket that no longer receives. */
    private void failed(Throwable cause) {
        terminated.completeExceptionally(cause);
        close();
    }

    /**
     * {@link #call}; without a usable session and with {@code mayEstablish}, first establishes one
     * (a handshake, or a plaintext session), once: another thread may have done so meanwhile.
     */
    private CompletableFuture<ByteBuffer> call(InetSocketAddress peer, ByteBuffer request, long timeoutNanos, boolean mayEstablish) {
        PreparedMessage prepared;
        try {
            prepared = endpoint.prepareCall(peer, request);
        } catch (RpcException e) {
            return mayEstablish && e.reason() == RpcException.Reason.NO_SESSION
                    ? establishThenCall(peer, request, timeoutNanos, e) : CompletableFuture.failedFuture(e);
        }
        PendingCall pending = new PendingCall(peer, timeoutNanos, abandon);
        lock.lock();
        try {
            endpoint.submitCall(prepared, pending, System.nanoTime());
        } finally {
            io.unlockAfterChange();
        }
        sealRemaining(prepared);
        return pending;
    }

    /** A call to a peer without a session: the session source makes one, or takes or refuses the call. */
    private CompletableFuture<ByteBuffer> establishThenCall(InetSocketAddress peer, ByteBuffer request, long timeoutNanos,
                                                            RpcException noSession) {
        ByteBuffer held = endpoint.holdForEstablishing(request);
        PendingCall pending = new PendingCall(peer, timeoutNanos, abandon);
        SessionSource.Establishing outcome;
        lock.lock();
        try {
            outcome = endpoint.establish(peer, pending, held, System.nanoTime());
        } finally {
            io.unlockAfterChange();
        }
        return switch (outcome) {
            case READY -> call(peer, held, timeoutNanos, false);
            case TAKEN -> pending;
            case REFUSED -> CompletableFuture.failedFuture(noSession);
        };
    }

    private void reply(ServerCall call, ByteBuffer response) throws RpcException {
        submitReply(endpoint.prepareReply(call, response));
    }

    private void fail(ServerCall call, String message) throws RpcException {
        submitReply(endpoint.prepareErrorReply(call, message));
    }

    private void submitReply(PreparedMessage prepared) {
        lock.lock();
        try {
            endpoint.submitReply(prepared, System.nanoTime());
        } finally {
            io.unlockAfterChange();
        }
        sealRemaining(prepared);
    }

    /**
     * Has a large message's remaining segments sealed on the record workers, letting the engine send
     * each one as soon as it is sealed: transmission (and the receiver's opening) overlaps with sealing.
     */
    private void sealRemaining(PreparedMessage prepared) {
        if (!prepared.fullySealed()) {
            WorkerPools.records().execute(() -> {
                boolean open = true;
                while (open && prepared.sealNextSegment()) {
                    lock.lock();
                    try {
                        open = endpoint.resume(prepared);
                    } finally {
                        io.unlockAfterChange();
                    }
                    Thread.yield();
                }
            });
        }
    }

    /** A worker finished something the I/O thread has to apply (records opened, a handshake flight): wake it if it blocks. */
    private void workReady() {
        driver.wakeup();
    }

    private void abandon(PendingCall call) {
        lock.lock();
        try {
            endpoint.abandon(call);
        } finally {
            io.unlockAfterChange();
        }
    }

    /** Configuration of an {@link SdpSocket}. */
    public static final class Builder {
        private InetSocketAddress bind;
        private TransportConfig config = TransportConfig.defaults();
        private RequestHandler handler;
        private Executor handlerExecutor;
        private Duration idleSpin = Duration.ofNanos(50_000);
        private Duration callerSpin = Duration.ofNanos(100_000);
        private Duration callTimeout = Duration.ofSeconds(30);
        private HandshakeConfig tls;
        private boolean plaintextPeers;
        private DatagramIo io = DatagramIo.fromSystemProperty();

        private Builder() {
        }

        /**
         * The local address to bind (port 0: any free port). Required.
         *
         * @param address the address to bind
         * @return this builder
         */
        public Builder bind(InetSocketAddress address) {
            this.bind = address;
            return this;
        }

        /**
         * Transport settings; default {@link TransportConfig#defaults()}.
         *
         * @param config the transport settings
         * @return this builder
         */
        public Builder config(TransportConfig config) {
            this.config = config;
            return this;
        }

        /**
         * Runs TLS 1.3 handshakes over SDP with these credentials: a call to a peer without a session
         * starts one, and ClientHellos from peers are answered. Without it or {@link #plaintextPeers},
         * sessions are only installed; it excludes {@link #plaintextPeers}.
          *
          * @param config the credentials and handshake settings
          * @return this builder
         */
        public Builder tls(HandshakeConfig config) {
            this.tls = config;
            return this;
        }

        /**
         * Talks plaintext mode with any peer without {@link SdpSocket#installPlaintext}: calls to a peer
         * without a session, and plaintext packets from one, create a plaintext session. For the
         * unencrypted baseline only: nothing is authenticated. Not together with {@link #tls}: a host is
         * in encrypted or in plaintext mode (docs/PROTOCOL.md §11).
          *
          * @param on whether any peer may talk plaintext
          * @return this builder
         */
        public Builder plaintextPeers(boolean on) {
            this.plaintextPeers = on;
            return this;
        }

        /**
         * Serves incoming requests; without one, requests wait for {@link SdpSocket#receive}.
         *
         * @param handler what serves requests
         * @return this builder
         */
        public Builder handler(RequestHandler handler) {
            this.handler = handler;
            return this;
        }

        /**
         * Runs the handler on this executor instead of the thread that received the request.
         *
         * @param executor where handlers run
         * @return this builder
         */
        public Builder handlerExecutor(Executor executor) {
            this.handlerExecutor = executor;
            return this;
        }

        /**
         * How long the I/O thread keeps polling (yielding the CPU between rounds) after activity before it blocks (default 50 µs).
         *
         * @param spin how long to poll before blocking
         * @return this builder
         */
        public Builder idleSpin(Duration spin) {
            this.idleSpin = spin;
            return this;
        }

        /**
         * The deadline of a call made without one (default 30 s; {@link Duration#ZERO}: none): past
         * it the call fails with {@link RpcException.Reason#TIMEOUT}, whatever the peer does. Without
         * a deadline a call still fails after the transport's RPC timeout of silence, but a peer that
         * keeps answering BUSY (a handler that never replies) keeps it waiting.
          *
          * @param timeout the default deadline of a call
          * @return this builder
         */
        public Builder callTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("a call timeout cannot be negative");
            }
            this.callTimeout = timeout;
            return this;
        }

        /**
         * How long a thread blocked in {@link SdpSocket#callBlocking} polls the socket itself before it
         * parks (default 100 µs): a fast response then costs no thread hand-off.
          *
          * @param spin how long a blocked caller polls
          * @return this builder
         */
        public Builder callerSpin(Duration spin) {
            this.callerSpin = spin;
            return this;
        }

        /**
         * How datagrams reach the kernel; default {@link DatagramIo#AUTO}, or the {@code sdp.io} system property.
         *
         * @param io how datagrams reach the kernel
         * @return this builder
         */
        public Builder io(DatagramIo io) {
            this.io = io;
            return this;
        }

        /**
         * Binds the socket and starts its I/O thread.
         *
         * @return the bound, running socket
         * @throws IOException if the address cannot be bound
         */
        public SdpSocket build() throws IOException {
            if (bind == null) {
                throw new IllegalStateException("bind address required");
            }
            if (tls != null && plaintextPeers) {
                throw new IllegalStateException("a socket talks either TLS sessions or plaintext peers, not both");
            }
            return new SdpSocket(this);
        }
    }
}
