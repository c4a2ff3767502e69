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

    private final Engine engine;
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
    /** The handshake layer; null when sessions are only installed. Guarded by {@link #lock}. */
    private final Sessions sessions;
    /** Sessions that came from handshakes, with the peer identity they verified. */
    private final Map<InetSocketAddress, SSLSession> tlsSessions = new ConcurrentHashMap<>();
    /** Calls waiting for a handshake, per peer. Guarded by {@link #lock}. */
    private final Map<InetSocketAddress, List<WaitingCall>> waiting = new HashMap<>();
    private final int maxWaitingPerPeer;
    /** Whether any peer may talk plaintext mode without {@link #installPlaintext} (the unencrypted baseline). */
    private final boolean plaintextPeers;
    /** Plaintext sessions created on demand; capped, since they are never closed. Guarded by {@link #lock}. */
    private int plaintextPeerCount;
    private static final int MAX_PLAINTEXT_PEERS = 10_000;
    private long nextIdleCheck;

    private record WaitingCall(PendingCall pending, ByteBuffer request) {
    }

    private SdpSocket(Builder b) throws IOException {
        this.engine = new Engine(b.config, stats);
        this.driver = new NioDatagramDriver(b.bind);
        this.localAddress = driver.localAddress();
        this.dispatcher = new Dispatcher(b.handler, b.handlerExecutor, this::reply, tlsSessions::get);
        this.idleSpinNanos = b.idleSpin.toNanos();
        this.callerSpinNanos = b.callerSpin.toNanos();
        this.maxWaitingPerPeer = b.config.maxRpcsPerPeer();
        this.plaintextPeers = b.plaintextPeers;
        int ipAndUdp = (b.config.ipv6() ? 40 : 20) + 8;
        this.sessions = b.tls == null ? null : new Sessions(b.tls, stats, b.config.mtu() - ipAndUdp);
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
        engine.addPeer(peer, sendKeys, receiveKeys);
    }

    /**
     * Asks for a key update of this side's direction of the session with {@code peer}: new messages
     * go out under fresh keys as soon as the protocol allows (docs/PROTOCOL.md §7). Returns false
     * without an encrypted session.
     */
    public boolean updateKeys(InetSocketAddress peer) {
        return engine.updateKeys(peer);
    }

    /** The suite and key epochs of the encrypted session with {@code peer}, if there is one. */
    public Optional<KeyEpochs> keyEpochs(InetSocketAddress peer) {
        Engine.SessionEpochs epochs = engine.epochs(peer);
        return epochs == null ? Optional.empty() : Optional.of(new KeyEpochs(epochs.suite(), epochs.sendEpoch(), epochs.receiveEpoch()));
    }

    /** The TLS session a handshake with {@code peer} established, if the current session came from one. */
    public Optional<SSLSession> tlsSession(InetSocketAddress peer) {
        return Optional.ofNullable(tlsSessions.get(peer));
    }

    /**
     * Ends the session with {@code peer} on this side: its pending calls fail, and with TLS
     * configured the next call handshakes again. Returns whether there was a session.
     */
    public boolean closeSession(InetSocketAddress peer) {
        boolean[] had = new boolean[1];
        withEngine(now -> {
            tlsSessions.remove(peer);
            had[0] = engine.removePeer(peer, new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer + " closed"));
        });
        return had[0];
    }

    /** Sessions that came from handshakes and are open now. */
    public int tlsSessionCount() {
        return tlsSessions.size();
    }

    /** Server-side handshakes that have started but not finished (for monitoring and tests). */
    public int pendingHandshakes() {
        if (sessions == null) {
            return 0;
        }
        lock.lock();
        try {
            return sessions.pendingServerHandshakes();
        } finally {
            lock.unlock();
        }
    }

    /** Installs an unencrypted session with {@code peer} (the "Homa without encryption" baseline). */
    public void installPlaintext(InetSocketAddress peer) {
        engine.addPlaintextPeer(peer);
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
            prepared = engine.prepareCall(peer, request);
        } catch (RpcException e) {
            boolean establish = mayEstablish && e.reason() == RpcException.Reason.NO_SESSION;
            if (establish && sessions != null) {
                return callAfterHandshake(peer, request);
            }
            if (establish && plaintextPeers) {
                boolean[] added = new boolean[1];
                withEngine(now -> added[0] = addPlaintextPeer(peer));
                return added[0] ? call(peer, request, false) : CompletableFuture.failedFuture(e);
            }
            return CompletableFuture.failedFuture(e);
        }
        PendingCall pending = new PendingCall(peer, abandon);
        withEngine(now -> engine.submitCall(prepared, pending, now));
        sealRemaining(prepared);
        return pending;
    }

    /** Queues a call until a handshake with {@code peer} (started now unless one runs) gives keys. */
    private CompletableFuture<ByteBuffer> callAfterHandshake(InetSocketAddress peer, ByteBuffer request) {
        ByteBuffer copy = ByteBuffer.allocate(request.remaining()).put(request).flip();
        PendingCall pending = new PendingCall(peer, abandon);
        boolean[] ready = new boolean[1];
        withEngine(now -> {
            if (engine.hasPeer(peer)) {
                ready[0] = true;
                return;
            }
            List<WaitingCall> calls = waiting.computeIfAbsent(peer, p -> new ArrayList<>());
            if (calls.size() >= maxWaitingPerPeer) {
                pending.completeExceptionally(new RpcException(RpcException.Reason.TOO_MANY_RPCS,
                        "more than " + maxWaitingPerPeer + " calls wait for the handshake with " + peer));
                return;
            }
            calls.add(new WaitingCall(pending, copy));
            sessions.connect(peer, now);
            handleSessionEvents(now);
        });
        return ready[0] ? call(peer, copy, false) : pending;
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
        PreparedMessage prepared = engine.prepareReply(call, response);
        withEngine(now -> engine.submitReply(prepared, now));
        sealRemaining(prepared);
    }

    /**
     * Seals a large message's remaining segments on this thread, letting the engine send each one
     * as soon as it is sealed: transmission (and the receiver's opening) overlaps with sealing.
     */
    private void sealRemaining(PreparedMessage prepared) {
        boolean[] open = {true};
        while (open[0] && prepared.sealNextSegment()) {
            withEngine(now -> open[0] = engine.resume(prepared));
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
        withEngine(now -> {
            engine.close();
            if (sessions != null) {
                sessions.close();
                failWaiting(null, new RpcException(RpcException.Reason.CLOSED, "endpoint closed"));
            }
        });
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
            drainEvents(events);
            if (nextTimerNanos() < ioSleepsUntil) {
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

    private long nextTimerNanos() {
        long next = engine.nextTimerNanos();
        if (sessions != null) {
            next = Math.min(next, sessions.nextTimerNanos());
            if (!tlsSessions.isEmpty()) {
                next = Math.min(next, nextIdleCheck);
            }
        }
        return next;
    }

    private void flush() {
        while (true) {
            sendBuffer.clear();
            InetSocketAddress to = sessions == null ? null : sessions.pollTransmit(sendBuffer);
            if (to == null) {
                to = engine.pollTransmit(sendBuffer);
            }
            if (to == null) {
                return;
            }
            sendBuffer.flip();
            sendOne(to);
        }
    }

    private void drainEvents(List<EngineEvent> out) {
        EngineEvent e;
        while ((e = engine.pollEvent()) != null) {
            if (e instanceof EngineEvent.CallFailed f && f.error().reason() == RpcException.Reason.TIMEOUT) {
                forgetSilentSession(PendingCall.of(f.attachment()));
            }
            out.add(e);
        }
    }

    /**
     * A call timed out and nothing from its peer authenticated since it began: the peer most likely
     * lost the session (it restarted), so drop ours and let the next call handshake again.
     */
    private void forgetSilentSession(PendingCall call) {
        if (tlsSessions.containsKey(call.peer()) && engine.lastAuthenticatedNanos(call.peer()) < call.startedNanos()) {
            tlsSessions.remove(call.peer());
            engine.removePeer(call.peer(), new RpcException(RpcException.Reason.NO_SESSION, "session with " + call.peer() + " went silent"));
        }
    }

    // ---------------------------------------------------------------- handshakes (under the lock)

    private void handleSessionEvents(long now) {
        SessionEvent event;
        while ((event = sessions.pollEvent()) != null) {
            InetSocketAddress peer = event.peer();
            switch (event) {
                case SessionEvent.Established e -> {
                    if (!roomForSession(peer)) {
                        failWaiting(peer, new RpcException(RpcException.Reason.NO_SESSION,
                                "session with " + peer + " refused: " + sessions.config().maxSessions() + " sessions are open"));
                        continue;
                    }
                    engine.replacePeer(peer, e.keys().send(), e.keys().receive(), now);
                    tlsSessions.put(peer, e.session());
                    submitWaiting(peer, now);
                }
                case SessionEvent.Failed f -> {
                    RpcException error = new RpcException(RpcException.Reason.HANDSHAKE_FAILED,
                            "TLS handshake with " + peer + " failed: " + f.cause().getMessage(), f.cause());
                    if (f.afterEstablished() && tlsSessions.remove(peer) != null) {
                        engine.removePeer(peer, error);
                    }
                    failWaiting(peer, error);
                }
            }
        }
    }

    /**
     * Whether a session with {@code peer} may be installed: at the cap, the least recently active
     * session without open RPCs makes room, so sessions from handshakes never grow without bound.
     */
    private boolean roomForSession(InetSocketAddress peer) {
        if (tlsSessions.containsKey(peer) || tlsSessions.size() < sessions.config().maxSessions()) {
            return true;
        }
        InetSocketAddress victim = engine.leastRecentlyActive(tlsSessions.keySet());
        if (victim == null) {
            stats.increment(TransportStats.Counter.SESSION_CAP_REFUSED);
            return false;
        }
        stats.increment(TransportStats.Counter.SESSIONS_EVICTED);
        engine.removePeer(victim, new RpcException(RpcException.Reason.NO_SESSION, "session with " + victim + " evicted for a newer one"));
        tlsSessions.remove(victim);
        return true;
    }

    private void submitWaiting(InetSocketAddress peer, long now) {
        List<WaitingCall> calls = waiting.remove(peer);
        if (calls == null) {
            return;
        }
        for (WaitingCall w : calls) {
            if (w.pending.isDone()) {
                continue;
            }
            try {
                PreparedMessage prepared = engine.prepareCall(peer, w.request);
                engine.submitCall(prepared, w.pending, now);
                while (prepared.sealNextSegment() && engine.resume(prepared)) {
                    // Sealed on the I/O thread: these calls were queued, so no caller thread is at hand.
                }
            } catch (RpcException e) {
                w.pending.completeExceptionally(e);
            }
        }
    }

    /** Fails the calls waiting for {@code peer} (null: for every peer). */
    private void failWaiting(InetSocketAddress peer, RpcException error) {
        List<List<WaitingCall>> lists = new ArrayList<>();
        if (peer == null) {
            lists.addAll(waiting.values());
            waiting.clear();
        } else if (waiting.containsKey(peer)) {
            lists.add(waiting.remove(peer));
        }
        for (List<WaitingCall> calls : lists) {
            for (WaitingCall w : calls) {
                w.pending.completeExceptionally(error);
            }
        }
    }

    /** Installs a plaintext session on demand, up to the cap; true when one exists afterwards. */
    private boolean addPlaintextPeer(InetSocketAddress peer) {
        if (engine.hasPeer(peer)) {
            return true;
        }
        if (plaintextPeerCount >= MAX_PLAINTEXT_PEERS) {
            return false;
        }
        engine.addPlaintextPeer(peer);
        plaintextPeerCount++;
        return true;
    }

    /** Closes handshake sessions that have been idle too long; runs about ten times per idle timeout. */
    private void expireIdleSessions(long now) {
        if (tlsSessions.isEmpty() || now < nextIdleCheck) {
            return;
        }
        long idleNanos = sessions.config().idleTimeout().toNanos();
        nextIdleCheck = now + idleNanos / 10;
        for (InetSocketAddress peer : engine.idlePeers(tlsSessions.keySet(), now, idleNanos)) {
            // Counted before the session disappears from view, so whoever sees it gone sees the count.
            stats.increment(TransportStats.Counter.SESSIONS_CLOSED_IDLE);
            engine.removePeer(peer, new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer + " closed after being idle"));
            tlsSessions.remove(peer);
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
            engine.onTimer(now);
            if (sessions != null) {
                sessions.onTimer(now);
                handleSessionEvents(now);
                expireIdleSessions(now);
            }
            drainEvents(events);
        } finally {
            lock.unlock();
        }
        dispatcher.dispatch(events, from);
        lock.lock();
        try {
            flush();
            drainEvents(events);
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
                    deadline = Math.min(nextTimerNanos(), now + 1_000_000_000L);
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
            if (sessions != null && CommonHeader.peekType(receiveBuffer) == PacketType.HANDSHAKE) {
                sessions.receive(from, receiveBuffer, now);
                handleSessionEvents(now);
            } else {
                if (plaintextPeers && CommonHeader.peekPlaintext(receiveBuffer) && !engine.hasPeer(from)) {
                    addPlaintextPeer(from);
                }
                engine.receive(from, receiveBuffer, now);
            }
            any = true;
        }
        return true;
    }

    private void abandon(PendingCall call) {
        lock.lock();
        try {
            if (!engine.abandonCall(call.peer(), call) && waiting.containsKey(call.peer())) {
                waiting.get(call.peer()).removeIf(w -> w.pending == call);
            }
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
            return new SdpSocket(this);
        }
    }
}
