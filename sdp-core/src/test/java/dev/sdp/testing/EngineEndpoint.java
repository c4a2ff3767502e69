package dev.sdp.testing;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.transport.Engine;
import dev.sdp.transport.EngineEvent;
import dev.sdp.transport.PreparedMessage;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.ServerCall;
import dev.sdp.transport.TransportConfig;
import dev.sdp.transport.TransportStats;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A protocol engine on a {@link TestNetwork}, driven through its public API only, as an I/O layer
 * would: it issues calls and records their outcomes, and serves requests with a handler (an echo
 * unless told otherwise) that may take simulated time to answer.
 */
public final class EngineEndpoint implements TestNetwork.Endpoint {
    private static final CipherSuite SUITE = CipherSuite.TLS_AES_128_GCM_SHA256;

    /** A call that completed, and when. */
    public record Completion(Object attachment, long at) { }

    private record DelayedReply(long at, ServerCall call, ByteBuffer response) { }

    private final TestNetwork network;
    private final InetSocketAddress address;
    private final Engine<Object> engine;
    private final Map<Object, ByteBuffer> responses = new HashMap<>();
    private final Map<Object, RpcException> failures = new HashMap<>();
    private final List<Completion> completions = new ArrayList<>();
    private final PriorityQueue<DelayedReply> delayedReplies = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    /** Kept, not made per drain: a benchmark's allocation figure should be the engine's alone. */
    private final Supplier<EngineEvent<Object>> pollEvent;
    private final Consumer<EngineEvent<Object>> handleEvent = this::handle;
    private Consumer<EngineEvent<Object>> outcomes = this::record;
    private Function<ByteBuffer, ByteBuffer> handler = request -> request;
    private long handlerDelayNanos;
    private int requestsDelivered;
    /** Record work the engine handed off, run at the next settling instead of at once when deferred. */
    private final java.util.ArrayDeque<Runnable> recordWork = new java.util.ArrayDeque<>();
    private boolean deferRecordWork;
    private boolean holdRecordWork;
    private int recordTasks;

    EngineEndpoint(TestNetwork network, InetSocketAddress address, TransportConfig config) {
        this.network = network;
        this.address = address;
        this.engine = new Engine<>(config, new TransportStats(), this::recordTask, () -> { });
        this.pollEvent = engine::pollEvent;
    }

    /**
     * Installs a session between this engine and {@code other}, both ways: encrypted under keys
     * drawn from the network's random source, or plaintext.
     */
    public void connect(EngineEndpoint other, boolean encrypted) {
        if (encrypted) {
            Random random = network.random();
            byte[] ours = new byte[32];
            byte[] theirs = new byte[32];
            random.nextBytes(ours);
            random.nextBytes(theirs);
            engine.addPeer(other.address, EpochKeys.initial(SUITE, ours), EpochKeys.initial(SUITE, theirs));
            other.engine.addPeer(address, EpochKeys.initial(SUITE, theirs), EpochKeys.initial(SUITE, ours));
        } else {
            engine.addPlaintextPeer(other.address);
            other.engine.addPlaintextPeer(address);
        }
    }

    /** The engine itself, for what this adapter does not cover (key epochs, closing, sealing by hand). */
    public Engine<Object> engine() {
        return engine;
    }

    /** The engine's counters. */
    public TransportStats stats() {
        return engine.stats();
    }

    /** How this endpoint answers a request: {@code handler} maps it to the response. */
    public void handler(Function<ByteBuffer, ByteBuffer> handler) {
        this.handler = handler;
    }

    /** Simulated time between receiving a request and submitting its response. */
    public void handlerDelay(long nanos) {
        handlerDelayNanos = nanos;
    }

    /**
     * Sends call outcomes ({@link EngineEvent.CallCompleted} and {@link EngineEvent.CallFailed}) to
     * {@code consumer} instead of recording them, for a benchmark that must not accumulate them.
     */
    public void onOutcome(Consumer<EngineEvent<Object>> consumer) {
        outcomes = consumer;
    }

    /** Starts a call to {@code server}; returns the attachment its outcome is recorded under. */
    public Object call(InetSocketAddress server, ByteBuffer request) throws RpcException {
        Object attachment = new Object();
        call(server, request, attachment);
        return attachment;
    }

    /** Starts a call to {@code server} whose outcome carries {@code attachment}. */
    public void call(InetSocketAddress server, ByteBuffer request, Object attachment) throws RpcException {
        PreparedMessage prepared = engine.prepareCall(server, request);
        engine.submitCall(prepared, attachment, network.now());
        sealRemaining(engine, prepared);
    }

    /**
     * Seals the segments of a submitted message after its first, telling the engine after each so
     * it can send them at once (what an I/O layer does on the sealing thread).
     */
    private static void sealRemaining(Engine<?> engine, PreparedMessage message) {
        while (message.sealNextSegment() && engine.resume(message)) {
            // Each sealed segment is sendable as soon as the engine knows of it.
        }
    }

    /** Responses of this endpoint's calls, by attachment. */
    public Map<Object, ByteBuffer> responses() {
        return responses;
    }

    /** Failures of this endpoint's calls, by attachment. */
    public Map<Object, RpcException> failures() {
        return failures;
    }

    /** This endpoint's completed calls in the order they completed. */
    public List<Completion> completions() {
        return completions;
    }

    /** Whether the call with {@code attachment} has completed or failed. */
    public boolean finished(Object attachment) {
        return responses.containsKey(attachment) || failures.containsKey(attachment);
    }

    /** How many of this endpoint's calls have completed or failed. */
    public int finishedCalls() {
        return responses.size() + failures.size();
    }

    /** Requests handed to this endpoint's handler. */
    public int requestsDelivered() {
        return requestsDelivered;
    }

    private void record(EngineEvent<Object> event) {
        switch (event) {
            case EngineEvent.CallCompleted<Object> c -> {
                responses.put(c.attachment(), c.payload());
                completions.add(new Completion(c.attachment(), network.now()));
            }
            case EngineEvent.CallFailed<Object> f -> failures.put(f.attachment(), f.error());
            case EngineEvent.RequestReceived<Object> r -> throw new IllegalArgumentException("not an outcome: " + r);
            case EngineEvent.SessionEnded<Object> s -> {
                // Its calls' failures arrive as CallFailed and are recorded as such.
            }
        }
    }

    private void recordTask(Runnable task) {
        recordTasks++;
        if (deferRecordWork) {
            recordWork.add(task);
        } else {
            task.run();
        }
    }

    /**
     * Runs the records of large messages the engine hands off (see the engine's record executor)
     * only when this endpoint next settles, as a worker thread would finish them later, instead of
     * within the call that handed them off.
     */
    public void deferRecordWork(boolean on) {
        deferRecordWork = on;
    }

    /** Keeps handed-off record work waiting (deferred) until released, as workers that are all busy would. */
    public void holdRecordWork(boolean on) {
        holdRecordWork = on;
        deferRecordWork |= on;
    }

    /** Runs the handed-off record work now, leaving its outcomes for the engine to pick up when it next settles. */
    public void runRecordWork() {
        Runnable task;
        while ((task = recordWork.poll()) != null) {
            task.run();
        }
    }

    /** Handed-off record work not run yet. */
    public int recordWorkWaiting() {
        return recordWork.size();
    }

    /** Tasks the engine handed to its record executor. */
    public int recordTasks() {
        return recordTasks;
    }

    @Override
    public boolean drainEvents(long now) {
        boolean worked = !holdRecordWork && !recordWork.isEmpty();
        Runnable task;
        while (worked && (task = recordWork.poll()) != null) {
            task.run();
        }
        if (worked) {
            engine.drainRecordWork(now);
        }
        return TestNetwork.drain(pollEvent, handleEvent) || worked;
    }

    private void handle(EngineEvent<Object> event) {
        if (event instanceof EngineEvent.RequestReceived<Object> r) {
            serve(r, network.now());
        } else {
            outcomes.accept(event);
        }
    }

    private void serve(EngineEvent.RequestReceived<Object> request, long now) {
        requestsDelivered++;
        ByteBuffer response = handler.apply(request.payload());
        if (handlerDelayNanos > 0) {
            delayedReplies.add(new DelayedReply(now + handlerDelayNanos, request.call(), response));
        } else {
            reply(request.call(), response, now);
        }
    }

    private void reply(ServerCall call, ByteBuffer response, long now) {
        try {
            PreparedMessage prepared = engine.prepareReply(call, response);
            engine.submitReply(prepared, now);
            sealRemaining(engine, prepared);
        } catch (RpcException e) {
            throw new IllegalStateException("cannot answer " + call.peer(), e);
        }
    }

    @Override
    public void receive(InetSocketAddress from, ByteBuffer datagram, long now) {
        engine.receive(from, datagram, now);
    }

    @Override
    public InetSocketAddress pollTransmit(ByteBuffer out) {
        return engine.pollTransmit(out);
    }

    @Override
    public void onTimer(long now) {
        while (!delayedReplies.isEmpty() && delayedReplies.peek().at <= now) {
            DelayedReply r = delayedReplies.poll();
            reply(r.call, r.response, now);
        }
        engine.onTimer(now);
    }

    @Override
    public long nextTimerNanos() {
        return delayedReplies.isEmpty() ? engine.nextTimerNanos() : Math.min(engine.nextTimerNanos(), delayedReplies.peek().at);
    }
}
