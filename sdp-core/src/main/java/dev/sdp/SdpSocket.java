package dev.sdp;

import dev.sdp.crypto.EpochKeys;
import dev.sdp.io.DatagramDriver;
import dev.sdp.io.NioDatagramDriver;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.SessionEvent;
import dev.sdp.session.Sessions;
import dev.sdp.transport.Engine;
import dev.sdp.transport.EngineEvent;
import dev.sdp.transport.PreparedMessage;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.ServerCall;
import dev.sdp.transport.TransportConfig;
import dev.sdp.transport.TransportStats;
import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.PacketType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSession;

/**
 * An SDP endpoint bound to one UDP address, acting as client and server at once, like a Homa
 * socket. Calls return {@link CompletableFuture}s (or block); requests from peers go to a
 * {@link RequestHandler} or, without one, to {@link #receive}. With {@link Builder#tls} the first
 * call to a peer runs a TLS 1.3 handshake over the same UDP port (calls made meanwhile wait for it)
 * and the session's keys come from it; otherwise, or in addition, sessions are installed per peer
 * with keys for both directions ({@link #installKeys}) or as plaintext ({@link #installPlaintext}).
 *
 * <p>Threading: one I/O thread receives datagrams and runs timers. A call is sealed on the calling
 * thread, segment by segment, and each segment is sent from that thread as soon as it is sealed, so
 * a small RPC pays no thread hand-off on the way out and a large one is on the wire while the rest
 * is still being sealed; a blocking caller then polls the socket itself for {@code callerSpin} and usually
 * receives its response without a hand-off either; otherwise the I/O thread completes the future.
 * While any caller polls, the I/O thread keeps out of the way and only checks back periodically.
 * Handlers run on the thread that polled the request in (normally the I/O thread) unless an executor
 * is configured. After activity the I/O thread polls for {@code idleSpin} before it blocks, trading a
 * little CPU for latency; both defaults are short.
 */
public final class SdpSocket implements AutoCloseable {
    /**
     * While callers poll, the I/O thread sleeps in slices this long instead of competing with them
     * for the lock and the CPU; waking it each time a caller stops cost more latency (measured) than
     * a datagram arriving in that gap waiting one slice at most.
     */
    private static final long CALLER_POLL_PARK_NANOS = 200_000;
    /** Extra caller polling per request byte: about what carrying and sealing a byte both ways costs here. */
    private static final long SPIN_NANOS_PER_REQUEST_BYTE = 4;
    /** How long a datagram waits for room in a full socket send buffer before it counts as lost. */
    private static final long SEND_BUFFER_WAIT_NANOS = 2_000_000;
    private static final System.Logger LOG = System.getLogger(SdpSocket.class.getName());

    private final Endpoint endpoint;
    private final TransportStats stats = new TransportStats();
    private final DatagramDriver driver;
    private final ReentrantLock lock = new ReentrantLock();
    private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(1 << 16);
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(1 << 16);
    private final Dispatcher dispatcher;
    private final Consumer<PendingCall> abandon = this::abandon;
    private final long idleSpinNanos;
    private final Thread ioThread;
    private final InetSocketAddress localAddress;
    /** When the sleeping I/O thread wakes by itself; 0 while it is awake. Callers wake it for earlier timers. */
    private volatile long ioSleepsUntil;
    private final long callerSpinNanos;
    private volatile boolean closed;
    /** Callers polling the socket in {@link #callBlocking}; while there are any, the I/O thread stays out of their way. */
    private final AtomicInteger pollingCallers = new AtomicInteger();

    private SdpSocket(Builder b) throws IOException {
        this.endpoint = new Endpoint(b.config, stats, b.tls, b.plaintextPeers);
        this.driver = new NioDatagramDriver(b.bind);
        this.localAddress = driver.localAddress();
        this.dispatcher = new Dispatcher(b.handler, b.handlerExecutor, this::reply, endpoint::tlsSession);
        this.idleSpinNanos = b.idleSpin.toNanos();
        this.callerSpinNanos = b.callerSpin.toNanos();
        this.ioThread = Thread.ofPlatform().daemon().name("sdp-io-" + localAddress.getPort()).unstarted(this::ioLoop);
        ioThread.start();
    }

    /** A builder; only {@link Builder#bind} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The bound address (with the port chosen when binding to port 0). */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Counters of this endpoint. */
    public TransportStats stats() {
        return stats;
    }

    /** Requests whose handler threw (they go unanswered). */
    public long handlerErrors() {
        return dispatcher.handlerErrors();
    }

    /** Installs an encrypted session with {@code peer}: this side's write keys and the peer's write keys. */
    public void installKeys(InetSocketAddress peer, EpochKeys sendKeys, EpochKeys receiveKeys) {
        endpoint.installKeys(peer, sendKeys, receiveKeys);
    }

    /**
     * Asks for a key update of this side's direction of the session with {@code peer}: new messages
     * go out under fresh keys as soon as the protocol allows (docs/PROTOCOL.md §7). Returns false
     * without an encrypted session.
     */
    public boolean updateKeys(InetSocketAddress peer) {
        return endpoint.updateKeys(peer);
    }

    /** The suite and key epochs of the encrypted session with {@code peer}, if there is one. */
    public Optional<KeyEpochs> keyEpochs(InetSocketAddress peer) {
        return Optional.ofNullable(endpoint.keyEpochs(peer));
    }

    /** The TLS session a handshake with {@code peer} established, if the current session came from one. */
    public Optional<SSLSession> tlsSession(InetSocketAddress peer) {
        return Optional.ofNullable(endpoint.tlsSession(peer));
    }

    /**
     * Ends the session with {@code peer} on this side: its pending calls fail, and with TLS
     * configured the next call handshakes again. Returns whether there was a session.
     */
    public boolean closeSession(InetSocketAddress peer) {
        boolean[] had = new boolean[1];
        withEngine(now -> had[0] = endpoint.endSession(peer, new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer + " closed"), null));
        return had[0];
    }

    /** Sessions that came from handshakes and are open now. */
    public int tlsSessionCount() {
        return endpoint.tlsSessionCount();
    }

    /** Server-side handshakes that have started but not finished (for monitoring and tests). */
    public int pendingHandshakes() {
        lock.lock();
        try {
            return endpoint.pendingHandshakes();
        } finally {
            lock.unlock();
        }
    }

    /** Installs an unencrypted session with {@code peer} (the "Homa without encryption" baseline). */
    public void installPlaintext(InetSocketAddress peer) {
        endpoint.installPlaintext(peer);
    }

    /**
     * Sends {@code request} (position to limit; consumed) to {@code peer}. The future completes with
     * the response, or fails with an {@link RpcException} saying why; cancelling it abandons the call.
     */
    public CompletableFuture<ByteBuffer> call(InetSocketAddress peer, ByteBuffer request) {
        return call(peer, request, true);
    }

    /**
     * {@link #call}; without a usable session and with {@code mayEstablish}, first establishes one
     * (a handshake, or a plaintext session), once: another thread may have done so meanwhile.
     */
    private CompletableFuture<ByteBuffer> call(InetSocketAddress peer, ByteBuffer request, boolean mayEstablish) {
        PreparedMessage prepared;
        try {
            prepared = endpoint.prepareCall(peer, request);
        } catch (RpcException e) {
            return mayEstablish && e.reason() == RpcException.Reason.NO_SESSION
                    ? establishThenCall(peer, request, e) : CompletableFuture.failedFuture(e);
        }
        PendingCall pending = new PendingCall(peer, abandon);
        withEngine(now -> endpoint.submitCall(prepared, pending, now));
        sealRemaining(prepared);
        return pending;
    }

    /** A call to a peer without a session: the session source makes one, or queues or refuses the call. */
    private CompletableFuture<ByteBuffer> establishThenCall(InetSocketAddress peer, ByteBuffer request, RpcException noSession) {
        ByteBuffer held = endpoint.holdForEstablishing(request);
        PendingCall pending = new PendingCall(peer, abandon);
        SessionSource.Establishing[] outcome = new SessionSource.Establishing[1];
        withEngine(now -> outcome[0] = endpoint.establish(peer, pending, held, now));
        return switch (outcome[0]) {
            case READY -> call(peer, held, false);
            case TAKEN -> pending;
            case REFUSED -> CompletableFuture.failedFuture(noSession);
        };
    }

    /** {@link #call} that fails with {@link RpcException.Reason#TIMEOUT} after {@code timeout}. */
    public CompletableFuture<ByteBuffer> call(InetSocketAddress peer, ByteBuffer request, Duration timeout) {
        CompletableFuture<ByteBuffer> future = call(peer, request);
        future.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return future;
    }

    /** A blocking call: the response, or the {@link RpcException} that ended the call. */
    public ByteBuffer callBlocking(InetSocketAddress peer, ByteBuffer request) throws RpcException, InterruptedException {
        long requestBytes = request.remaining();
        CompletableFuture<ByteBuffer> future = call(peer, request);
        // Poll the socket from this thread for a while: a fast response then reaches the caller without
        // waking the I/O thread and handing over to it. Whoever holds the lock is doing the work already.
        // A large request takes longer to carry and, usually, to answer: poll longer for it, since
        // two thread hand-offs cost more than the polling on a round trip that long.
        if (callerSpinNanos == 0) {
            return await(future);
        }
        long spinEnd = System.nanoTime() + callerSpinNanos + requestBytes * SPIN_NANOS_PER_REQUEST_BYTE;
        List<EngineEvent> events = dispatcher.batch();
        pollingCallers.incrementAndGet();
        try {
            while (!future.isDone() && System.nanoTime() < spinEnd) {
                if (!lock.isLocked()) {
                    pollOnce(events);
                }
                Thread.onSpinWait();
            }
        } finally {
            pollingCallers.decrementAndGet();
            if (!future.isDone()) {
                // The answer is slower than the spin: wake the I/O thread now rather than after the rest
                // of its park slice, so a slow round trip does not also wait for that.
                LockSupport.unpark(ioThread);
            }
        }
        return await(future);
    }

    private static ByteBuffer await(CompletableFuture<ByteBuffer> future) throws RpcException, InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RpcException rpc) {
                throw rpc;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Without a handler: the next request, or null after {@code timeout}. */
    public IncomingRequest receive(Duration timeout) throws InterruptedException {
        return dispatcher.receive(timeout);
    }

    private void reply(ServerCall call, ByteBuffer response) throws RpcException {
        PreparedMessage prepared = endpoint.prepareReply(call, response);
        withEngine(now -> endpoint.submitReply(prepared, now));
        sealRemaining(prepared);
    }

    /**
     * Seals a large message's remaining segments on this thread, letting the engine send each one
     * as soon as it is sealed: transmission (and the receiver's opening) overlaps with sealing.
     */
    private void sealRemaining(PreparedMessage prepared) {
        boolean[] open = {true};
        while (open[0] && prepared.sealNextSegment()) {
            withEngine(now -> open[0] = endpoint.resume(prepared));
        }
    }

    /** Closes the socket; pending calls fail with {@link RpcException.Reason#CLOSED}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        driver.wakeup();
        try {
            ioThread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        withEngine(now -> endpoint.close());
        try {
            driver.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- engine access

    private interface EngineAction {
        void run(long now);
    }

    private void withEngine(EngineAction action) {
        List<EngineEvent> events = dispatcher.batch();
        int from = events.size();
        lock.lock();
        try {
            long now = System.nanoTime();
            action.run(now);
            flush();
            endpoint.drainEvents(events);
            if (endpoint.nextTimerNanos() < ioSleepsUntil) {
                driver.wakeup();
            }
        } finally {
            lock.unlock();
        }
        dispatcher.dispatch(events, from);
    }

    /**
     * Sends the datagram in {@link #sendBuffer}. A full send buffer (the peer has not read yet; on
     * loopback the sender is charged until it does) empties within microseconds, so wait for it a
     * little rather than lose the datagram and its resend interval; past that, or on an error, the
     * datagram counts as lost and the protocol's recovery sends it again.
     */
    private void sendOne(InetSocketAddress to) {
        long giveUp = 0;
        try {
            while (!driver.send(sendBuffer, to)) {
                long now = System.nanoTime();
                if (giveUp == 0) {
                    giveUp = now + SEND_BUFFER_WAIT_NANOS;
                    stats.increment(TransportStats.Counter.SEND_BUFFER_FULL);
                } else if (now > giveUp) {
                    stats.increment(TransportStats.Counter.DATAGRAMS_NOT_SENT);
                    return;
                }
                Thread.onSpinWait();
            }
        } catch (IOException e) {
            stats.increment(TransportStats.Counter.DATAGRAMS_NOT_SENT);
        }
    }

    private void flush() {
        while (true) {
            sendBuffer.clear();
            InetSocketAddress to = endpoint.pollTransmit(sendBuffer);
            if (to == null) {
                return;
            }
            sendBuffer.flip();
            sendOne(to);
        }
    }

    // ---------------------------------------------------------------- polling

    /**
     * One pass over the socket: receive what is waiting, run due timers, hand out the events,
     * then send what the engine queued (the ACK of a response goes out after its caller has it).
     */
    private boolean pollOnce(List<EngineEvent> events) {
        int from = events.size();
        boolean active;
        lock.lock();
        try {
            long now = System.nanoTime();
            active = receiveBatch(now);
            endpoint.onTimer(now);
            endpoint.drainEvents(events);
        } finally {
            lock.unlock();
        }
        dispatcher.dispatch(events, from);
        lock.lock();
        try {
            flush();
            endpoint.drainEvents(events);
        } finally {
            lock.unlock();
        }
        dispatcher.dispatch(events, from);
        return active;
    }

    private void ioLoop() {
        List<EngineEvent> events = dispatcher.batch();
        long spinUntil = 0;
        while (!closed) {
            if (pollingCallers.get() > 0) {
                LockSupport.parkNanos(CALLER_POLL_PARK_NANOS);
                continue;
            }
            boolean active = pollOnce(events);
            long now = System.nanoTime();
            if (active) {
                spinUntil = now + idleSpinNanos;
            } else if (now < spinUntil) {
                Thread.onSpinWait();
            } else {
                long deadline;
                lock.lock();
                try {
                    deadline = Math.min(endpoint.nextTimerNanos(), now + 1_000_000_000L);
                    ioSleepsUntil = deadline;
                } finally {
                    lock.unlock();
                }
                try {
                    driver.await(deadline - now);
                } catch (IOException e) {
                    return;
                }
                ioSleepsUntil = 0;
            }
        }
    }

    private boolean receiveBatch(long now) {
        boolean any = false;
        for (int i = 0; i < 64; i++) {
            receiveBuffer.clear();
            InetSocketAddress from;
            try {
                from = driver.receive(receiveBuffer);
            } catch (IOException e) {
                return any;
            }
            if (from == null) {
                return any;
            }
            receiveBuffer.flip();
            endpoint.receive(from, receiveBuffer, now);
            any = true;
        }
        return true;
    }

    private void abandon(PendingCall call) {
        lock.lock();
        try {
            endpoint.abandon(call);
        } finally {
            lock.unlock();
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
        private HandshakeConfig tls;
        private boolean plaintextPeers;

        /** The local address to bind (port 0: any free port). Required. */
        public Builder bind(InetSocketAddress address) {
            this.bind = address;
            return this;
        }

        /** Transport settings; default {@link TransportConfig#defaults()}. */
        public Builder config(TransportConfig config) {
            this.config = config;
            return this;
        }

        /**
         * Runs TLS 1.3 handshakes over SDP with these credentials: a call to a peer without a session
         * starts one, and ClientHellos from peers are answered. Without it, sessions are only installed.
         */
        public Builder tls(HandshakeConfig config) {
            this.tls = config;
            return this;
        }

        /**
         * Talks plaintext mode with any peer without {@link SdpSocket#installPlaintext}: calls to a peer
         * without a session, and plaintext packets from one, create a plaintext session. For the
         * unencrypted baseline only: nothing is authenticated.
         */
        public Builder plaintextPeers(boolean on) {
            this.plaintextPeers = on;
            return this;
        }

        /** Serves incoming requests; without one, requests wait for {@link SdpSocket#receive}. */
        public Builder handler(RequestHandler handler) {
            this.handler = handler;
            return this;
        }

        /** Runs the handler on this executor instead of the I/O thread. */
        public Builder handlerExecutor(Executor executor) {
            this.handlerExecutor = executor;
            return this;
        }

        /** How long the I/O thread keeps polling after activity before it blocks (default 50 µs). */
        public Builder idleSpin(Duration spin) {
            this.idleSpin = spin;
            return this;
        }

        /**
         * How long a thread blocked in {@link SdpSocket#callBlocking} polls the socket itself before it
         * parks (default 100 µs): a fast response then costs no thread hand-off.
         */
        public Builder callerSpin(Duration spin) {
            this.callerSpin = spin;
            return this;
        }

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
