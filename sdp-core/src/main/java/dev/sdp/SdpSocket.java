package dev.sdp;

import dev.sdp.crypto.EpochKeys;
import dev.sdp.io.DatagramDriver;
import dev.sdp.io.NioDatagramDriver;
import dev.sdp.transport.Engine;
import dev.sdp.transport.EngineEvent;
import dev.sdp.transport.PreparedMessage;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.ServerCall;
import dev.sdp.transport.TransportConfig;
import dev.sdp.transport.TransportStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An SDP endpoint bound to one UDP address, acting as client and server at once, like a Homa
 * socket. Calls return {@link CompletableFuture}s (or block); requests from peers go to a
 * {@link RequestHandler} or, without one, to {@link #receive}. Sessions are installed per peer
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
    private static final System.Logger LOG = System.getLogger(SdpSocket.class.getName());

    private final java.util.concurrent.atomic.AtomicLong handlerErrors = new java.util.concurrent.atomic.AtomicLong();
    private final Engine engine;
    private final TransportStats stats = new TransportStats();
    private final DatagramDriver driver;
    private final ReentrantLock lock = new ReentrantLock();
    private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(1 << 16);
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(1 << 16);
    private final RequestHandler handler;
    private final Executor handlerExecutor;
    private final LinkedBlockingQueue<IncomingRequest> requests = new LinkedBlockingQueue<>();
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
        this.engine = new Engine(b.config, stats);
        this.driver = new NioDatagramDriver(b.bind);
        this.localAddress = driver.localAddress();
        this.handler = b.handler;
        this.handlerExecutor = b.handlerExecutor;
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
        return handlerErrors.get();
    }

    /** Installs an encrypted session with {@code peer}: this side's write keys and the peer's write keys. */
    public void installKeys(InetSocketAddress peer, EpochKeys sendKeys, EpochKeys receiveKeys) {
        engine.addPeer(peer, sendKeys, receiveKeys);
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
        PreparedMessage prepared;
        try {
            prepared = engine.prepareCall(peer, request);
        } catch (RpcException e) {
            return CompletableFuture.failedFuture(e);
        }
        PendingCall pending = new PendingCall(peer);
        withEngine(now -> engine.submitCall(prepared, pending, now));
        sealRemaining(prepared);
        return pending;
    }

    /** {@link #call} that fails with {@link RpcException.Reason#TIMEOUT} after {@code timeout}. */
    public CompletableFuture<ByteBuffer> call(InetSocketAddress peer, ByteBuffer request, Duration timeout) {
        CompletableFuture<ByteBuffer> future = call(peer, request);
        future.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return future;
    }

    /** A blocking call: the response, or the {@link RpcException} that ended the call. */
    public ByteBuffer callBlocking(InetSocketAddress peer, ByteBuffer request) throws RpcException, InterruptedException {
        CompletableFuture<ByteBuffer> future = call(peer, request);
        // Poll the socket from this thread for a while: a fast response then reaches the caller without
        // waking the I/O thread and handing over to it. Whoever holds the lock is doing the work already.
        long spinEnd = System.nanoTime() + callerSpinNanos;
        List<EngineEvent> events = new ArrayList<>(2);
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

    /** Without a handler: the next request, or null after {@code timeout}. */
    public IncomingRequest receive(Duration timeout) throws InterruptedException {
        if (handler != null) {
            throw new IllegalStateException("requests go to the configured handler");
        }
        return requests.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    void reply(ServerCall call, ByteBuffer response) throws RpcException {
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
        withEngine(now -> engine.close());
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
        List<EngineEvent> events = new ArrayList<>(2);
        lock.lock();
        try {
            long now = System.nanoTime();
            action.run(now);
            flush();
            drainEvents(events);
            if (engine.nextTimerNanos() < ioSleepsUntil) {
                driver.wakeup();
            }
        } finally {
            lock.unlock();
        }
        dispatch(events);
    }

    private void flush() {
        while (true) {
            sendBuffer.clear();
            InetSocketAddress to = engine.pollTransmit(sendBuffer);
            if (to == null) {
                return;
            }
            sendBuffer.flip();
            try {
                driver.send(sendBuffer, to);
            } catch (IOException e) {
                // A datagram that cannot be sent counts as lost; recovery resends it.
            }
        }
    }

    private void drainEvents(List<EngineEvent> out) {
        EngineEvent e;
        while ((e = engine.pollEvent()) != null) {
            out.add(e);
        }
    }

    private void dispatch(List<EngineEvent> events) {
        for (EngineEvent e : events) {
            switch (e) {
                case EngineEvent.CallCompleted c -> ((PendingCall) c.attachment()).complete(c.payload());
                case EngineEvent.CallFailed f -> ((PendingCall) f.attachment()).completeExceptionally(f.error());
                case EngineEvent.RequestReceived r -> deliver(new IncomingRequest(this, r.call(), r.payload()));
            }
        }
    }

    private void deliver(IncomingRequest request) {
        if (handler == null) {
            requests.add(request);
        } else if (handlerExecutor == null) {
            runHandler(request);
        } else {
            handlerExecutor.execute(() -> runHandler(request));
        }
    }

    private void runHandler(IncomingRequest request) {
        try {
            handler.onRequest(request);
        } catch (Exception e) {
            // The protocol has no error replies: the request goes unanswered and the client times out.
            handlerErrors.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "request handler failed for a request from " + request.peer(), e);
        }
    }

    // ---------------------------------------------------------------- polling

    /**
     * One pass over the socket: receive what is waiting, run due timers, hand out the events,
     * then send what the engine queued (the ACK of a response goes out after its caller has it).
     */
    private boolean pollOnce(List<EngineEvent> events) {
        boolean active;
        lock.lock();
        try {
            long now = System.nanoTime();
            active = receiveBatch(now);
            engine.onTimer(now);
            drainEvents(events);
        } finally {
            lock.unlock();
        }
        dispatch(events);
        events.clear();
        lock.lock();
        try {
            flush();
            drainEvents(events);
        } finally {
            lock.unlock();
        }
        dispatch(events);
        events.clear();
        return active;
    }

    private void ioLoop() {
        List<EngineEvent> events = new ArrayList<>();
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
                    deadline = Math.min(engine.nextTimerNanos(), now + 1_000_000_000L);
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
            engine.receive(from, receiveBuffer, now);
            any = true;
        }
        return true;
    }

    /** The future of one call; cancelling it (or its timeout) abandons the call in the engine. */
    private final class PendingCall extends CompletableFuture<ByteBuffer> {
        private final InetSocketAddress peer;

        PendingCall(InetSocketAddress peer) {
            this.peer = peer;
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            boolean done = super.completeExceptionally(ex instanceof TimeoutException
                    ? new RpcException(RpcException.Reason.TIMEOUT, "call timed out") : ex);
            if (done && (ex instanceof TimeoutException || ex instanceof CancellationException)) {
                abandon();
            }
            return done;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean done = super.cancel(mayInterruptIfRunning);
            if (done) {
                abandon();
            }
            return done;
        }

        private void abandon() {
            lock.lock();
            try {
                engine.abandonCall(peer, this);
            } finally {
                lock.unlock();
            }
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
