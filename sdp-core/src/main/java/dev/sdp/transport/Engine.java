package dev.sdp.transport;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.crypto.ReceiveProtection;
import dev.sdp.crypto.SendProtection;
import dev.sdp.transport.TimerTable.Timer;
import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.wire.PacketType;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The SDP protocol engine, sans I/O: it consumes datagrams and the time, and produces datagrams
 * ({@link #pollTransmit}), application events ({@link #pollEvent}) and a timer deadline
 * ({@link #nextTimerNanos}). Not thread-safe except where a method says so ({@link #prepareCall},
 * {@link #prepareReply} and the session queries, which callers use on their own threads); everything
 * else is called by one thread at a time (the I/O layer holds a lock), with a clock the caller
 * supplies, so tests drive it deterministically.
 *
 * <p>This class is the facade: it wires the mechanisms, each in its own file with the rule of
 * docs/PROTOCOL.md it implements (docs/ARCHITECTURE.md maps them): {@link Peers} and {@link RpcTable}
 * hold sessions and RPCs, {@link Incoming} handles every received packet, {@link SendQueue} and
 * {@link GrantScheduler} are the two sides of SRPT, {@link LossRecovery} runs RESEND, NEED_ACK and
 * timeouts, {@link AckBatcher} batches ACKs, {@link ControlQueue} builds and seals control packets,
 * {@link ReceiveBudget} caps the memory incoming messages hold, {@link RpcLifecycle} ends RPCs and
 * raises events, and {@link TimerTable} holds the deadlines.
 *
 * @param <A> the type of the attachments calls are submitted with and handed back in their events
 */
public final class Engine<A> {
    private static final OperatorLog SESSION_UNUSABLE = new OperatorLog(Engine.class, System.Logger.Level.WARNING);
    private static final OperatorLog SESSION_CLOSED_BY_PEER = new OperatorLog(Engine.class, System.Logger.Level.DEBUG);
    /** Longest error text an error response carries. */
    public static final int MAX_ERROR_TEXT = 1024;

    private final TransportConfig config;
    private final TransportStats stats;
    private final Peers peers = new Peers();
    private final TimerTable timers = new TimerTable();
    private final ControlQueue control;
    private final AckBatcher acks;
    private final SendQueue sendQueue;
    private final GrantScheduler grants;
    private final ReceiveBudget budget;
    private final RpcLifecycle<A> lifecycle;
    private final LossRecovery recovery;
    private final Incoming incoming;
    private boolean closed;
    /** {@link #pollTransmit(ByteBuffer)} as a batch source, made once. */
    private final TransmitBatch.Source datagrams = this::pollTransmit;

    /** An engine that opens every record on its own thread, within the call that completes it. */
    public Engine(TransportConfig config, TransportStats stats) {
        this(config, stats, Runnable::run, () -> { });
    }

    /**
     * An engine that opens the records of large messages (more than one segment) on {@code recordWork},
     * so its own thread never spends long on one message; {@code recordsReady} runs on a worker
     * thread when outcomes wait for {@link #drainRecordWork}.
     */
    public Engine(TransportConfig config, TransportStats stats, Executor recordWork, Runnable recordsReady) {
        this.config = config;
        this.stats = stats;
        this.control = new ControlQueue(stats, peers);
        this.acks = new AckBatcher(control, timers, config.resendInterval().toNanos() / 10);
        this.sendQueue = new SendQueue(stats, config.unscheduledBytes());
        this.budget = new ReceiveBudget(config);
        this.grants = new GrantScheduler(control, budget, config);
        this.lifecycle = new RpcLifecycle<>(stats, grants, sendQueue, acks);
        this.recovery = new LossRecovery(config, stats, peers, timers, control, sendQueue, budget, lifecycle);
        this.incoming = new Incoming(config, stats, peers, budget, grants, sendQueue, control, recovery, lifecycle,
                new RecordOpener(recordWork, recordsReady));
    }

    /** The counters this engine updates. */
    public TransportStats stats() {
        return stats;
    }

    // ---------------------------------------------------------------- sessions

    /** Installs an encrypted session with {@code address}: this side's write keys and the peer's. Thread-safe. */
    public void addPeer(InetSocketAddress address, EpochKeys sendKeys, EpochKeys receiveKeys) {
        if (sendKeys.suite() != receiveKeys.suite()) {
            throw new IllegalArgumentException("both directions must use one cipher suite");
        }
        if (sendKeys.sameSecret(receiveKeys)) {
            // With one secret both ways, this side's own requests reflected back would open as the peer's.
            throw new IllegalArgumentException("the two directions must have different traffic secrets");
        }
        SendProtection send = new SendProtection(sendKeys, config.keyUpdateLimit(), stats.records());
        long suiteLimit = receiveKeys.suite().integrityLimit();
        long integrityLimit = config.integrityLimit() == 0 ? suiteLimit : Math.min(suiteLimit, config.integrityLimit());
        ReceiveProtection receive = new ReceiveProtection(receiveKeys, integrityLimit, config.replayWindow(), stats.records());
        receive.nameInEvents(address.toString());
        peers.add(new Peer(address, peers.nextSessionId(), send, receive, sendKeys.suite(), config.replayWindow()));
    }

    /** Installs a plaintext-mode session with {@code address} (the unencrypted baseline). Thread-safe. */
    public void addPlaintextPeer(InetSocketAddress address) {
        peers.add(new Peer(address, peers.nextSessionId(), null, null, null, config.replayWindow()));
    }

    /**
     * Installs an encrypted session with {@code address} that replaces any session with it (a new
     * handshake): calls of the old session fail with {@link RpcException.Reason#NO_SESSION} and its
     * server-side RPCs are dropped; nothing sealed under the old keys opens under the new ones.
     * Returns the new session's ID ({@link ServerCall#sessionId}).
     */
    public long replacePeer(InetSocketAddress address, EpochKeys sendKeys, EpochKeys receiveKeys, long now) {
        if (removePeer(address, new RpcException(RpcException.Reason.NO_SESSION, "session with " + address + " was replaced by a new handshake"))) {
            stats.increment(Counter.SESSIONS_REPLACED);
        }
        addPeer(address, sendKeys, receiveKeys);
        Peer peer = peers.get(address);
        peer.lastAuthenticatedNanos = now;
        return peer.sessionId;
    }

    /**
     * Whether the session {@code call} arrived in is still the current one with its peer: a request
     * from a session that has since ended or been replaced must not be served as the new session's. Thread-safe.
     */
    public boolean isCurrent(ServerCall call) {
        return peers.get(call.rpc.peer.address) == call.rpc.peer;
    }

    /** Ends the session with {@code address}; its pending calls fail with {@code error}. */
    public boolean removePeer(InetSocketAddress address, RpcException error) {
        Peer peer = peers.remove(address);
        if (peer == null) {
            return false;
        }
        lifecycle.endPeer(peer, error);
        return true;
    }

    /** Whether a session (encrypted or plaintext) with {@code address} is installed. Thread-safe. */
    public boolean hasPeer(InetSocketAddress address) {
        return peers.get(address) != null;
    }

    /**
     * Sessions without open RPCs in which nothing has authenticated for {@code idleNanos}, among
     * {@code candidates}; the caller decides which sessions may expire.
     */
    public List<InetSocketAddress> idlePeers(Iterable<InetSocketAddress> candidates, long now, long idleNanos) {
        return peers.idle(candidates, now, idleNanos);
    }

    /** Among {@code candidates}, the session without open RPCs that has been quiet longest, or null. */
    public InetSocketAddress leastRecentlyActive(Iterable<InetSocketAddress> candidates) {
        return peers.leastRecentlyActive(candidates);
    }

    /** When something from {@code address} last authenticated (or the session began), or Long.MIN_VALUE without a session. Thread-safe. */
    public long lastAuthenticatedNanos(InetSocketAddress address) {
        Peer peer = peers.get(address);
        return peer == null ? Long.MIN_VALUE : peer.lastAuthenticatedNanos;
    }

    /**
     * Asks for an on-demand key update of this side's direction of the session with {@code address}:
     * new messages go out under the next epoch as soon as no message of the previous one is open.
     * Returns false when there is no encrypted session with it. Thread-safe.
     */
    public boolean updateKeys(InetSocketAddress address) {
        Peer peer = peers.get(address);
        if (peer == null || !peer.encrypted()) {
            return false;
        }
        peer.send.update();
        return true;
    }

    /** The key epochs of the session with {@code address}, or null without an encrypted one. Thread-safe. */
    public SessionEpochs epochs(InetSocketAddress address) {
        Peer peer = peers.get(address);
        return peer == null || !peer.encrypted() ? null
                : new SessionEpochs(peer.suite, peer.send.current().keys().epoch(), peer.receive.currentEpoch());
    }

    /** Which keys a session uses now: the suite, the epoch this side sends under and the one the peer was last seen sending under. */
    public record SessionEpochs(CipherSuite suite, int sendEpoch, int receiveEpoch) {
    }

    /**
     * Makes the next call to {@code address} use RPC ID {@code first} instead of one from the random
     * start: for tests that replay captured traffic and need the same IDs in every run.
     */
    void startRpcIdsAt(InetSocketAddress address, long first) {
        peers.get(address).nextRpcId.set(first);
    }

    /** The smoothed round trip measured with {@code address}, or 0 before a sample (for tests and diagnostics). */
    long smoothedRttNanos(InetSocketAddress address) {
        return peers.get(address).rtt.smoothedNanos();
    }

    /**
     * Tells the engine how many bytes the socket's receive buffer holds (as the kernel reports it,
     * with its bookkeeping overhead counted twice over, as Linux does): grants then never leave more
     * bytes in flight toward this endpoint than half of it, less the unscheduled bytes of one new
     * message (docs/PROTOCOL.md §10a). Without it, grants are bounded only by window and overcommit.
     */
    public void receiveBuffer(long reportedBytes) {
        grants.limitOutstanding(reportedBytes / 2 - config.unscheduledBytes());
    }

    /** Bytes granted to peers and not yet received, over all incoming messages (for tests and diagnostics). */
    long grantedOutstanding() {
        return grants.outstanding();
    }

    /** Bytes incoming messages hold, authenticated or not, across all peers (for tests and diagnostics). */
    long receiveBytesHeld() {
        return budget.reassemblyUsed() + budget.unauthenticatedUsed();
    }

        /** Server-side RPCs open with {@code address} (for tests and diagnostics). */
    int openServerRpcs(InetSocketAddress address) {
        Peer peer = peers.get(address);
        return peer == null ? 0 : peer.serverRpcs.size();
    }

    /** Bytes buffered for {@code address}'s messages that have not authenticated yet. */
    public long unauthenticatedBytes(InetSocketAddress address) {
        Peer peer = peers.get(address);
        return peer == null ? 0 : peer.unauthenticatedBytes;
    }

    // ---------------------------------------------------------------- sending

    /** Prepares a request to {@code address}, sealing its first segment on the calling thread. Thread-safe. */
    public PreparedMessage prepareCall(InetSocketAddress address, ByteBuffer request) throws RpcException {
        Peer peer = peers.get(address);
        if (peer == null) {
            throw new RpcException(RpcException.Reason.NO_SESSION, "no session with " + address);
        }
        long rpcId = peer.nextRpcId.getAndIncrement();
        return new PreparedMessage(peer, rpcId, startMessage(peer, rpcId << 1, request, false));
    }

    /** Prepares the reply to {@code call}, sealing its first segment on the calling thread. Thread-safe. */
    public PreparedMessage prepareReply(ServerCall call, ByteBuffer response) throws RpcException {
        Rpc rpc = call.rpc;
        return new PreparedMessage(rpc.peer, rpc.rpcId, startMessage(rpc.peer, rpc.rpcId << 1 | 1, response, false));
    }

    /**
     * Prepares an error response to {@code call} (submitted like a reply): the caller's call fails
     * with {@link RpcException.Reason#REMOTE_ERROR} and {@code message} (UTF-8, cut to
     * {@value #MAX_ERROR_TEXT} bytes). Thread-safe.
     */
    public PreparedMessage prepareErrorReply(ServerCall call, String message) throws RpcException {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        ByteBuffer payload = ByteBuffer.wrap(text, 0, Math.min(text.length, MAX_ERROR_TEXT));
        Rpc rpc = call.rpc;
        return new PreparedMessage(rpc.peer, rpc.rpcId, startMessage(rpc.peer, rpc.rpcId << 1 | 1, payload, true));
    }

    private OutgoingMessage startMessage(Peer peer, long messageId, ByteBuffer payload, boolean error) throws RpcException {
        if (payload.remaining() > config.maxMessageSize()) {
            throw new RpcException(RpcException.Reason.MESSAGE_TOO_LARGE,
                    "message of " + payload.remaining() + " bytes exceeds the maximum of " + config.maxMessageSize());
        }
        if (peer.encrypted() && peer.receive.isClosed()) {
            throw new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer.address + " reached its integrity limit");
        }
        try {
            return OutgoingMessage.start(messageId, payload, peer.send, config.stride(), config.unscheduledBytes(), error);
        } catch (IllegalStateException e) {
            throw new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer.address + ": " + e.getMessage());
        }
    }

    /** Starts a prepared call; its outcome arrives as an event carrying {@code attachment}. */
    public void submitCall(PreparedMessage call, A attachment, long now) {
        submitCall(call, attachment, now, Long.MAX_VALUE);
    }

    /**
     * Starts a prepared call that fails with {@link RpcException.Reason#TIMEOUT} at {@code deadlineNanos}
     * (System.nanoTime scale) if no response has completed it by then.
     */
    public void submitCall(PreparedMessage call, A attachment, long now, long deadlineNanos) {
        Peer peer = call.peer;
        RpcException refused = closed ? new RpcException(RpcException.Reason.CLOSED, "endpoint closed")
                : peers.get(peer.address) != peer ? new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer.address + " ended")
                : peer.openRpcs() >= config.maxRpcsPerPeer() ? new RpcException(RpcException.Reason.TOO_MANY_RPCS,
                        "more than " + config.maxRpcsPerPeer() + " RPCs open with " + peer.address)
                : null;
        if (refused != null) {
            call.message.retire(false);
            lifecycle.refuse(attachment, refused);
            return;
        }
        Rpc rpc = new Rpc(peer, call.rpcId, true, attachment, now);
        rpc.deadlineNanos = deadlineNanos;
        rpc.outgoing = call.message;
        peer.clientRpcs.add(rpc);
        sendQueue.add(rpc);
        recovery.arm(now);
    }

    /** Sends a prepared reply. A reply to an RPC that no longer exists (the client went away) is dropped. */
    public void submitReply(PreparedMessage reply, long now) {
        Rpc rpc = reply.peer.serverRpcs.get(reply.rpcId);
        if (rpc == null || rpc.serverState != Rpc.ServerState.EXECUTING) {
            reply.message.retire(false);
            return;
        }
        rpc.outgoing = reply.message;
        rpc.serverState = Rpc.ServerState.RESPONDING;
        rpc.lastHeardNanos = now;
        sendQueue.add(rpc);
        recovery.arm(now);
    }

    /**
     * Tells the engine that more of a submitted message has been sealed; returns false when its RPC
     * is gone (failed, abandoned or closed), so the caller can stop sealing.
     */
    public boolean resume(PreparedMessage message) {
        Rpc rpc = message.peer.sending(message.message.messageId);
        if (rpc == null || rpc.outgoing != message.message) {
            return false;
        }
        sendQueue.add(rpc);
        return true;
    }

    /** Fails a pending call (for cancellation or a caller's own timeout); false if it is no longer pending. */
    public boolean abandonCall(InetSocketAddress address, A attachment) {
        Peer peer = peers.get(address);
        if (peer == null) {
            return false;
        }
        RpcTable calls = peer.clientRpcs;
        for (int i = 0; i < calls.size(); i++) {
            Rpc rpc = calls.at(i);
            if (rpc.attachment == attachment) {
                lifecycle.close(rpc, false);
                endMarkedSessions();
                return true;
            }
        }
        return false;
    }

    /**
     * Fails every pending call and stops accepting new ones; ACKs still pending and a CLOSE to every
     * peer are queued to go out, so peers fail their calls at once instead of waiting for silence.
     */
    public void close() {
        closed = true;
        acks.flush();
        for (Peer peer : peers.all()) {
            control.queue(peer, PacketType.CLOSE, 0, 0, 0);
        }
        RpcException error = new RpcException(RpcException.Reason.CLOSED, "endpoint closed");
        for (Peer peer : peers.all()) {
            lifecycle.endPeer(peer, error);
        }
        sendQueue.clear();
    }

    // ---------------------------------------------------------------- driving

    /** Processes one received datagram (position to limit; consumed). */
    public void receive(InetSocketAddress from, ByteBuffer datagram, long now) {
        incoming.receive(from, datagram, now);
        incoming.settleOpenedRecords(now);
        endMarkedSessions();
    }

    /** Applies the outcomes of records opened off the engine's thread; {@link #onTimer} does it too. */
    public void drainRecordWork(long now) {
        incoming.settleOpenedRecords(now);
        endMarkedSessions();
    }

    /** Ends the sessions a mechanism found unusable during the step that just ran. */
    private void endMarkedSessions() {
        Peer peer;
        while ((peer = peers.pollEnding()) != null) {
            if (peers.get(peer.address) == peer) {
                if (peer.ending != Counter.SESSIONS_CLOSED_BY_PEER) {
                    // Tell the peer, so its calls fail now and its next call handshakes again,
                    // rather than it sending into a session this side no longer has (impossible
                    // only when the send key itself is exhausted: nothing can be tagged any more).
                    control.queue(peer, PacketType.CLOSE, 0, 0, 0);
                }
                peers.remove(peer.address);
                stats.increment(peer.ending);
                RpcException reason = switch (peer.ending) {
                    case SESSIONS_CLOSED_BY_PEER -> new RpcException(RpcException.Reason.PEER_CLOSED, peer.address + " closed the session");
                    case SESSIONS_KEY_EXHAUSTED -> new RpcException(RpcException.Reason.NO_SESSION,
                            "session with " + peer.address + " ended: its send key is exhausted");
                    default -> new RpcException(RpcException.Reason.NO_SESSION,
                            "session with " + peer.address + " ended: its integrity limit was reached");
                };
                (peer.ending == Counter.SESSIONS_CLOSED_BY_PEER ? SESSION_CLOSED_BY_PEER : SESSION_UNUSABLE).log("{0}", reason.getMessage());
                lifecycle.sessionEnded(peer, reason);
            }
        }
    }

    /**
     * Writes the next datagram to send at {@code out}'s position (advancing it) and returns its
     * destination, or returns null when nothing is ready. Control packets go first; then data of
     * the message with the fewest protected bytes left to send.
     */
    public InetSocketAddress pollTransmit(ByteBuffer out) {
        int start = out.position();
        InetSocketAddress to = control.poll(out);
        if (to == null) {
            to = sendQueue.poll(out);
        }
        if (to != null) {
            stats.increment(Counter.PACKETS_OUT);
            stats.add(Counter.BYTES_OUT, out.position() - start);
        }
        return to;
    }

    /**
     * Fills {@code batch} with datagrams ready at {@code now}, in {@link #pollTransmit(ByteBuffer)}'s
     * order, until it is full or nothing is ready; returns how many it added. Nothing is paced yet:
     * {@code now} is where pacing bursts to the receiver's grants will come in.
     */
    public int pollTransmit(long now, TransmitBatch batch) {
        return batch.fill(datagrams);
    }

    /** The next application event, or null. */
    public EngineEvent<A> pollEvent() {
        return lifecycle.pollEvent();
    }

    /** When {@link #onTimer} wants to run next (System.nanoTime scale), or Long.MAX_VALUE. */
    public long nextTimerNanos() {
        return timers.next();
    }

    /** Runs the timers that are due; call when {@link #nextTimerNanos} has passed. */
    public void onTimer(long now) {
        if (timers.expired(Timer.ACK_FLUSH, now)) {
            acks.flush();
        }
        incoming.settleOpenedRecords(now);
        recovery.onTimer(now);
        endMarkedSessions();
    }
}
