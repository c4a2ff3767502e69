package dev.sdp.transport;

import dev.sdp.crypto.EpochKeys;
import dev.sdp.crypto.ReceiveProtection;
import dev.sdp.crypto.RecordCrypter;
import dev.sdp.crypto.RecordStatus;
import dev.sdp.crypto.SendProtection;
import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.DataHeader;
import dev.sdp.wire.MessageLayout;
import dev.sdp.wire.PacketType;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SDP protocol engine, sans I/O: it consumes datagrams and the time, and produces datagrams
 * ({@link #pollTransmit}), application events ({@link #pollEvent}) and a timer deadline
 * ({@link #nextTimerNanos}). Not thread-safe except {@link #prepareCall} and {@link #prepareReply},
 * which seal a message on the caller's thread; everything else is called by one thread at a time
 * (the I/O layer holds a lock), with a clock the caller supplies, so tests drive it deterministically.
 *
 * <p>Protocol (docs/PROTOCOL.md, Homa's rules): the first {@code unscheduledBytes} of a message go
 * out at once, the rest as the receiver GRANTs, shortest remaining message first on both sides;
 * missing data is requested with RESEND after {@code resendInterval} of silence; BUSY keeps a slow
 * server's RPCs alive; the client ACKs responses in batches, within a tenth of the resend interval,
 * and answers NEED_ACK; UNKNOWN answers
 * packets for RPCs no longer known; an RPC fails after {@code rpcTimeout} of silence.
 */
public final class Engine {
    private final TransportConfig config;
    private final TransportStats stats;
    private final Map<InetSocketAddress, Peer> peers = new ConcurrentHashMap<>();
    private final List<Rpc> sendQueue = new ArrayList<>();
    private final List<Rpc> grantQueue = new ArrayList<>();
    private final ArrayDeque<ControlSlot> controlQueue = new ArrayDeque<>();
    private final ArrayDeque<ControlSlot> freeSlots = new ArrayDeque<>();
    private final ArrayDeque<EngineEvent> events = new ArrayDeque<>();
    private final DataHeader dataHeader = new DataHeader();
    private final DataHeader outHeader = new DataHeader();
    private final ControlHeader controlHeader = new ControlHeader();
    private final ControlHeader outControl = new ControlHeader();
    private final ByteBuffer scratch = ByteBuffer.allocate(MessageLayout.MAX_RECORD_PLAINTEXT + 1);
    private final long resendNanos;
    private final long timeoutNanos;
    private final long ackDelayNanos;
    private final List<Peer> peersWithPendingAcks = new ArrayList<>();
    private long unauthenticatedTotal;
    private long nextTick = Long.MAX_VALUE;
    private long ackDeadline = Long.MAX_VALUE;
    private boolean closed;

    /** A queued control packet; slots are reused so control traffic allocates nothing. */
    private static final class ControlSlot {
        final byte[] bytes = new byte[ControlHeader.LENGTH];
        InetSocketAddress to;
    }

    public Engine(TransportConfig config, TransportStats stats) {
        this.config = config;
        this.stats = stats;
        this.resendNanos = config.resendInterval().toNanos();
        this.timeoutNanos = config.rpcTimeout().toNanos();
        // ACKs only free server state, which NEED_ACK reclaims after a resend interval anyway: batching
        // them keeps an AEAD operation and a datagram per RPC off both ends' critical path.
        this.ackDelayNanos = resendNanos / 10;
    }

    /** The counters this engine updates. */
    public TransportStats stats() {
        return stats;
    }

    /** Installs an encrypted session with {@code address}: this side's write keys and the peer's. Thread-safe. */
    public void addPeer(InetSocketAddress address, EpochKeys sendKeys, EpochKeys receiveKeys) {
        if (sendKeys.suite() != receiveKeys.suite()) {
            throw new IllegalArgumentException("both directions must use one cipher suite");
        }
        SendProtection send = new SendProtection(sendKeys, config.keyUpdateLimit(), stats.records());
        ReceiveProtection receive = new ReceiveProtection(receiveKeys, receiveKeys.suite().integrityLimit(), config.replayWindow(), stats.records());
        putPeer(new Peer(address, send, receive, sendKeys.suite(), config.replayWindow()));
    }

    /**
     * Installs an encrypted session with {@code address} that replaces any session with it (a new
     * handshake): calls of the old session fail with {@link RpcException.Reason#NO_SESSION} and its
     * server-side RPCs are dropped; nothing sealed under the old keys opens under the new ones.
     */
    public void replacePeer(InetSocketAddress address, EpochKeys sendKeys, EpochKeys receiveKeys, long now) {
        if (removePeer(address, new RpcException(RpcException.Reason.NO_SESSION, "session with " + address + " was replaced by a new handshake"))) {
            stats.increment(Counter.SESSIONS_REPLACED);
        }
        addPeer(address, sendKeys, receiveKeys);
        peers.get(address).lastAuthenticatedNanos = now;
    }

    /** Ends the session with {@code address}; its pending calls fail with {@code error}. */
    public boolean removePeer(InetSocketAddress address, RpcException error) {
        Peer peer = peers.remove(address);
        if (peer == null) {
            return false;
        }
        failRpcs(peer, error);
        peersWithPendingAcks.remove(peer);
        peer.pendingAckCount = 0;
        return true;
    }

    /** Whether a session (encrypted or plaintext) with {@code address} is installed. Thread-safe. */
    public boolean hasPeer(InetSocketAddress address) {
        return peers.containsKey(address);
    }

    /**
     * Sessions without open RPCs in which nothing has authenticated for {@code idleNanos}, among
     * {@code candidates}; the caller decides which sessions may expire.
     */
    public List<InetSocketAddress> idlePeers(Iterable<InetSocketAddress> candidates, long now, long idleNanos) {
        List<InetSocketAddress> idle = new ArrayList<>();
        for (InetSocketAddress address : candidates) {
            Peer peer = peers.get(address);
            if (peer != null && peer.openRpcs() == 0 && now - peer.lastAuthenticatedNanos > idleNanos) {
                idle.add(address);
            }
        }
        return idle;
    }

    /** Among {@code candidates}, the session without open RPCs that has been quiet longest, or null. */
    public InetSocketAddress leastRecentlyActive(Iterable<InetSocketAddress> candidates) {
        Peer oldest = null;
        for (InetSocketAddress address : candidates) {
            Peer peer = peers.get(address);
            if (peer != null && peer.openRpcs() == 0 && (oldest == null || peer.lastAuthenticatedNanos < oldest.lastAuthenticatedNanos)) {
                oldest = peer;
            }
        }
        return oldest == null ? null : oldest.address;
    }

    /** When something from {@code address} last authenticated (or the session began), or Long.MIN_VALUE without a session. */
    public long lastAuthenticatedNanos(InetSocketAddress address) {
        Peer peer = peers.get(address);
        return peer == null ? Long.MIN_VALUE : peer.lastAuthenticatedNanos;
    }

    /** Installs a plaintext-mode session with {@code address} (the unencrypted baseline). Thread-safe. */
    public void addPlaintextPeer(InetSocketAddress address) {
        putPeer(new Peer(address, null, null, null, config.replayWindow()));
    }

    private void putPeer(Peer peer) {
        if (peers.putIfAbsent(peer.address, peer) != null) {
            throw new IllegalStateException("a session with " + peer.address + " exists already");
        }
    }

    // ---------------------------------------------------------------- sending side API

    /** Prepares a request to {@code address}, sealing its first segment on the calling thread. Thread-safe. */
    public PreparedMessage prepareCall(InetSocketAddress address, ByteBuffer request) throws RpcException {
        Peer peer = peers.get(address);
        if (peer == null) {
            throw new RpcException(RpcException.Reason.NO_SESSION, "no session with " + address);
        }
        long rpcId = peer.nextRpcId.getAndIncrement();
        return new PreparedMessage(peer, rpcId, startMessage(peer, rpcId << 1, request));
    }

    /** Prepares the reply to {@code call}, sealing its first segment on the calling thread. Thread-safe. */
    public PreparedMessage prepareReply(ServerCall call, ByteBuffer response) throws RpcException {
        Rpc rpc = call.rpc;
        return new PreparedMessage(rpc.peer, rpc.rpcId, startMessage(rpc.peer, rpc.rpcId << 1 | 1, response));
    }

    private OutgoingMessage startMessage(Peer peer, long messageId, ByteBuffer payload) throws RpcException {
        if (payload.remaining() > config.maxMessageSize()) {
            throw new RpcException(RpcException.Reason.MESSAGE_TOO_LARGE,
                    "message of " + payload.remaining() + " bytes exceeds the maximum of " + config.maxMessageSize());
        }
        if (peer.encrypted() && peer.receive.isClosed()) {
            throw new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer.address + " reached its integrity limit");
        }
        try {
            return OutgoingMessage.start(messageId, payload, peer.send, config.stride(), config.unscheduledBytes());
        } catch (IllegalStateException e) {
            throw new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer.address + ": " + e.getMessage());
        }
    }

    /** Starts a prepared call; its outcome arrives as an event carrying {@code attachment}. */
    public void submitCall(PreparedMessage call, Object attachment, long now) {
        if (closed) {
            call.message.retire(false);
            events.add(new EngineEvent.CallFailed(attachment, new RpcException(RpcException.Reason.CLOSED, "endpoint closed")));
            return;
        }
        Peer peer = call.peer;
        if (peer.openRpcs() >= config.maxRpcsPerPeer()) {
            call.message.retire(false);
            events.add(new EngineEvent.CallFailed(attachment, new RpcException(RpcException.Reason.TOO_MANY_RPCS,
                    "more than " + config.maxRpcsPerPeer() + " RPCs open with " + peer.address)));
            return;
        }
        Rpc rpc = new Rpc(peer, call.rpcId, true, attachment, now);
        rpc.outgoing = call.message;
        peer.clientRpcs.put(rpc.rpcId, rpc);
        queueToSend(rpc);
        armTimer(now);
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
        queueToSend(rpc);
        armTimer(now);
    }

    /**
     * Tells the engine that more of a submitted message has been sealed; returns false when its RPC
     * is gone (failed, abandoned or closed), so the caller can stop sealing.
     */
    public boolean resume(PreparedMessage message) {
        Peer peer = message.peer;
        Rpc rpc = (message.message.messageId & 1) == 0 ? peer.clientRpcs.get(message.rpcId) : peer.serverRpcs.get(message.rpcId);
        if (rpc == null || rpc.outgoing != message.message) {
            return false;
        }
        queueToSend(rpc);
        return true;
    }

    /** Fails a pending call (for cancellation or a caller's own timeout); false if it is no longer pending. */
    public boolean abandonCall(InetSocketAddress address, Object attachment) {
        Peer peer = peers.get(address);
        if (peer == null) {
            return false;
        }
        for (Iterator<Rpc> it = peer.clientRpcs.values().iterator(); it.hasNext(); ) {
            Rpc rpc = it.next();
            if (rpc.attachment == attachment) {
                it.remove();
                forget(rpc);
                return true;
            }
        }
        return false;
    }

    /** Fails every pending call and stops accepting new ones; ACKs still pending are queued to go out. */
    public void close() {
        closed = true;
        flushAcks();
        for (Peer peer : peers.values()) {
            for (Rpc rpc : peer.clientRpcs.values()) {
                forget(rpc);
                events.add(new EngineEvent.CallFailed(rpc.attachment, new RpcException(RpcException.Reason.CLOSED, "endpoint closed")));
            }
            peer.serverRpcs.values().forEach(this::forget);
            peer.clientRpcs.clear();
            peer.serverRpcs.clear();
        }
        sendQueue.clear();
        grantQueue.clear();
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
    public record SessionEpochs(dev.sdp.crypto.CipherSuite suite, int sendEpoch, int receiveEpoch) {
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

    // ---------------------------------------------------------------- output

    /** The next application event, or null. */
    public EngineEvent pollEvent() {
        return events.poll();
    }

    /**
     * Writes the next datagram to send at {@code out}'s position (advancing it) and returns its
     * destination, or returns null when nothing is ready. Control packets go first; then data of
     * the message with the fewest protected bytes left to send.
     */
    public InetSocketAddress pollTransmit(ByteBuffer out) {
        ControlSlot slot = controlQueue.poll();
        if (slot != null) {
            out.put(slot.bytes);
            freeSlots.add(slot);
            countOut(ControlHeader.LENGTH);
            return slot.to;
        }
        Rpc best = null;
        for (Iterator<Rpc> it = sendQueue.iterator(); it.hasNext(); ) {
            Rpc rpc = it.next();
            OutgoingMessage m = rpc.outgoing;
            if (m == null || !m.hasSendable() || !isOpen(rpc)) {
                rpc.queuedToSend = false;
                it.remove();
            } else if (best == null || m.remaining() < best.outgoing.remaining()) {
                best = rpc;
            }
        }
        if (best == null) {
            return null;
        }
        int start = out.position();
        OutgoingMessage m = best.outgoing;
        boolean wasSent = m.fullySent();
        m.writeNext(out, outHeader, config.unscheduledBytes(), stats);
        if (!wasSent && m.fullySent()) {
            stats.increment(Counter.MESSAGES_SENT);
        }
        countOut(out.position() - start);
        return best.peer.address;
    }

    private void countOut(int bytes) {
        stats.increment(Counter.PACKETS_OUT);
        stats.add(Counter.BYTES_OUT, bytes);
    }

    /** When {@link #onTimer} wants to run next (System.nanoTime scale), or Long.MAX_VALUE. */
    public long nextTimerNanos() {
        return Math.min(nextTick, ackDeadline);
    }

    // ---------------------------------------------------------------- input

    /** Processes one received datagram (position to limit). */
    public void receive(InetSocketAddress from, ByteBuffer datagram, long now) {
        stats.increment(Counter.PACKETS_IN);
        stats.add(Counter.BYTES_IN, datagram.remaining());
        Peer peer = peers.get(from);
        if (peer == null) {
            stats.increment(Counter.UNKNOWN_PEER_PACKETS);
            return;
        }
        PacketType type = CommonHeader.peekType(datagram);
        if (type == null || type == PacketType.HANDSHAKE) {
            stats.increment(Counter.MALFORMED_PACKETS);
        } else if (type == PacketType.DATA) {
            receiveData(peer, datagram, now);
        } else {
            receiveControl(peer, datagram, now);
        }
    }

    private void receiveData(Peer peer, ByteBuffer datagram, long now) {
        DataHeader h = dataHeader;
        if (!h.decode(datagram) || ((h.flags & CommonHeader.FLAG_PLAINTEXT) == 0) != peer.encrypted()) {
            stats.increment(Counter.MALFORMED_PACKETS);
            return;
        }
        if (h.messageLength > config.maxMessageSize()) {
            stats.increment(Counter.MESSAGE_TOO_LARGE_DROPPED);
            return;
        }
        long rpcId = h.messageId >>> 1;
        boolean request = (h.messageId & 1) == 0;
        Rpc rpc = request ? peer.serverRpcs.get(rpcId) : peer.clientRpcs.get(rpcId);
        if (rpc == null) {
            if (!request) {
                stats.increment(Counter.DATA_FOR_UNKNOWN_RPC);
                return;
            }
            rpc = newServerRpc(peer, rpcId, h.messageId, now);
            if (rpc == null) {
                return;
            }
        } else if (request && rpc.serverState != Rpc.ServerState.RECEIVING) {
            stats.increment(Counter.DUPLICATE_PACKETS);
            rpc.lastHeardNanos = now;
            return;
        }
        IncomingMessage m = rpc.incoming;
        boolean created = m == null;
        if (created) {
            m = new IncomingMessage(h, now);
        }
        ByteBuffer payload = datagram.duplicate().position(datagram.position() + DataHeader.LENGTH);
        while (!m.authenticated() && (peer.unauthenticatedBytes + payload.remaining() > config.maxUnauthenticatedBytes()
                || unauthenticatedTotal + payload.remaining() > config.maxUnauthenticatedBytesTotal())) {
            if (!evictUnauthenticated(peer, rpc)) {
                stats.increment(Counter.UNAUTHENTICATED_BUDGET_DROPPED);
                dropIfEmpty(rpc, created);
                return;
            }
        }
        long unauthenticatedBefore = m.unauthenticatedBytes;
        RecordCrypter crypter = peer.encrypted() ? RecordCrypter.forCurrentThread(peer.suite) : null;
        IncomingMessage.Outcome outcome = m.accept(h, payload, peer.receive, crypter, scratch, now);
        adjustUnauthenticated(peer, m.unauthenticatedBytes - unauthenticatedBefore);
        switch (outcome) {
            case DUPLICATE -> stats.increment(Counter.DUPLICATE_PACKETS);
            case INCONSISTENT -> {
                stats.increment(Counter.INCONSISTENT_PACKETS);
                dropIfEmpty(rpc, created);
                return;
            }
            case DISCARD -> {
                stats.increment(Counter.MESSAGES_DISCARDED);
                adjustUnauthenticated(peer, -m.unauthenticatedBytes);
                rpc.incoming = null;
                if (peer.encrypted() && peer.receive.isClosed()) {
                    failPeer(peer);
                }
                return;
            }
            default -> { }
        }
        rpc.incoming = m;
        rpc.lastHeardNanos = now;
        if (m.authenticated()) {
            peer.lastAuthenticatedNanos = now;
        }
        if (request && !rpc.requestAccepted && m.authenticated()) {
            if (peer.encrypted() && peer.receive.acceptRequest(h.messageId) != RecordStatus.OK) {
                peer.serverRpcs.remove(rpcId);
                return;
            }
            rpc.requestAccepted = true;
        }
        if (outcome == IncomingMessage.Outcome.COMPLETE) {
            complete(rpc, m, now);
        } else if (m.authenticated() && m.granted < m.protectedLength && !rpc.queuedForGrants) {
            rpc.queuedForGrants = true;
            grantQueue.add(rpc);
        }
        if (!grantQueue.isEmpty()) {
            sendGrants();
        }
    }

    private Rpc newServerRpc(Peer peer, long rpcId, long messageId, long now) {
        RecordStatus screen = peer.encrypted() ? peer.receive.screenRequest(messageId) : peer.plaintextRequests.accept(rpcId);
        if (screen != RecordStatus.OK) {
            stats.increment(Counter.DUPLICATE_PACKETS);
            return null;
        }
        if (peer.openRpcs() >= config.maxRpcsPerPeer() && !evictUnauthenticated(peer, null)) {
            stats.increment(Counter.RPC_CAP_DROPPED);
            return null;
        }
        Rpc rpc = new Rpc(peer, rpcId, false, null, now);
        rpc.requestAccepted = !peer.encrypted();
        peer.serverRpcs.put(rpcId, rpc);
        // The server must ask for missing request data itself (RESEND) if its grants are lost.
        armTimer(now);
        return rpc;
    }

    /**
     * Makes room by dropping the server RPC whose request has been waiting longest without a single
     * record authenticating: under a flood of forged packets, state that proves nothing goes first,
     * and a genuine request keeps its place as soon as its first record opens. Returns false when
     * there is nothing to drop.
     */
    private boolean evictUnauthenticated(Peer peer, Rpc keep) {
        Rpc victim = null;
        for (Rpc rpc : peer.serverRpcs.values()) {
            if (rpc != keep && !rpc.requestAccepted && (victim == null || rpc.lastHeardNanos < victim.lastHeardNanos)) {
                victim = rpc;
            }
        }
        if (victim == null) {
            return false;
        }
        releaseIncoming(victim);
        peer.serverRpcs.remove(victim.rpcId);
        stats.increment(Counter.UNAUTHENTICATED_EVICTED);
        return true;
    }

    private void dropIfEmpty(Rpc rpc, boolean created) {
        if (created && !rpc.client && rpc.incoming == null) {
            rpc.peer.serverRpcs.remove(rpc.rpcId);
        }
    }

    private void adjustUnauthenticated(Peer peer, long delta) {
        peer.unauthenticatedBytes += delta;
        unauthenticatedTotal += delta;
    }

    private void complete(Rpc rpc, IncomingMessage m, long now) {
        stats.increment(Counter.MESSAGES_RECEIVED);
        rpc.queuedForGrants = false;
        grantQueue.remove(rpc);
        if (rpc.client) {
            rpc.peer.clientRpcs.remove(rpc.rpcId);
            rpc.outgoing.retire(true);
            stats.increment(Counter.RPCS_COMPLETED);
            events.add(new EngineEvent.CallCompleted(rpc.attachment, m.payload()));
            deferAck(rpc.peer, rpc.rpcId, now);
        } else {
            rpc.serverState = Rpc.ServerState.EXECUTING;
            rpc.incoming = null;
            stats.increment(Counter.REQUESTS_DELIVERED);
            events.add(new EngineEvent.RequestReceived(rpc.peer.address, new ServerCall(rpc), m.payload()));
        }
    }

    /** Grants the shortest incoming messages first, at most {@code overcommit} of them at once. */
    private void sendGrants() {
        grantQueue.removeIf(rpc -> {
            IncomingMessage m = rpc.incoming;
            boolean done = m == null || m.granted >= m.protectedLength || !isOpen(rpc);
            if (done) {
                rpc.queuedForGrants = false;
            }
            return done;
        });
        grantQueue.sort((a, b) -> Long.compare(a.incoming.protectedLength - a.incoming.receivedBytes,
                b.incoming.protectedLength - b.incoming.receivedBytes));
        int stride = config.stride();
        for (int i = 0; i < Math.min(config.overcommit(), grantQueue.size()); i++) {
            Rpc rpc = grantQueue.get(i);
            IncomingMessage m = rpc.incoming;
            long target = Math.min(m.protectedLength, m.receivedBytes + config.grantWindow());
            if (target >= m.granted + stride || (target == m.protectedLength && target > m.granted)) {
                m.granted = target;
                queueControl(rpc.peer, PacketType.GRANT, m.messageId, target, 0);
                stats.increment(Counter.GRANTS_SENT);
            }
        }
    }

    private boolean isOpen(Rpc rpc) {
        return (rpc.client ? rpc.peer.clientRpcs : rpc.peer.serverRpcs).get(rpc.rpcId) == rpc;
    }

    private void receiveControl(Peer peer, ByteBuffer datagram, long now) {
        ControlHeader h = controlHeader;
        if (datagram.remaining() != ControlHeader.LENGTH || !h.decodeAny(datagram)
                || ((h.flags & CommonHeader.FLAG_PLAINTEXT) == 0) != peer.encrypted()) {
            stats.increment(Counter.MALFORMED_PACKETS);
            return;
        }
        if (peer.encrypted()) {
            int p = datagram.position();
            RecordStatus status = peer.receive.openControl(RecordCrypter.forCurrentThread(peer.suite), h.epoch, h.packetNumber,
                    datagram.duplicate().limit(p + ControlHeader.TAG_OFFSET),
                    datagram.duplicate().position(p + ControlHeader.TAG_OFFSET).limit(p + ControlHeader.LENGTH));
            if (status != RecordStatus.OK) {
                if (peer.receive.isClosed()) {
                    failPeer(peer);
                }
                return;
            }
            peer.lastAuthenticatedNanos = now;
        }
        long rpcId = h.messageId >>> 1;
        boolean aboutRequest = (h.messageId & 1) == 0;
        switch (h.type()) {
            case GRANT -> {
                stats.increment(Counter.GRANTS_RECEIVED);
                Rpc rpc = aboutRequest ? peer.clientRpcs.get(rpcId) : peer.serverRpcs.get(rpcId);
                if (rpc == null || rpc.outgoing == null || rpc.outgoing.messageId != h.messageId) {
                    stats.increment(Counter.CONTROL_FOR_UNKNOWN_RPC);
                    return;
                }
                rpc.lastHeardNanos = now;
                rpc.outgoing.grant(h.offset);
                rpc.outgoing.lastGrantNanos = now;
                queueToSend(rpc);
            }
            case RESEND -> receiveResend(peer, h, rpcId, aboutRequest, now);
            case BUSY -> {
                Rpc rpc = aboutRequest ? peer.serverRpcs.get(rpcId) : peer.clientRpcs.get(rpcId);
                if (rpc != null) {
                    rpc.lastHeardNanos = now;
                }
            }
            case UNKNOWN -> receiveUnknown(peer, rpcId, aboutRequest, now);
            case NEED_ACK -> {
                if (!aboutRequest && !peer.clientRpcs.containsKey(rpcId)) {
                    queueControl(peer, PacketType.ACK, h.messageId, 0, 1);
                }
            }
            case ACK -> {
                if (aboutRequest) {
                    stats.increment(Counter.MALFORMED_PACKETS);
                    return;
                }
                for (long id = rpcId; id < rpcId + h.length; id++) {
                    Rpc rpc = peer.serverRpcs.get(id);
                    if (rpc != null && rpc.serverState == Rpc.ServerState.RESPONDING) {
                        peer.serverRpcs.remove(id);
                        rpc.outgoing.retire(true);
                    }
                }
            }
            default -> stats.increment(Counter.MALFORMED_PACKETS);
        }
    }

    /** RESEND names a message this side sends: our request (client) or our response (server). */
    private void receiveResend(Peer peer, ControlHeader h, long rpcId, boolean aboutRequest, long now) {
        stats.increment(Counter.RESENDS_RECEIVED);
        Rpc rpc = aboutRequest ? peer.clientRpcs.get(rpcId) : peer.serverRpcs.get(rpcId);
        if (rpc == null) {
            queueControl(peer, PacketType.UNKNOWN, h.messageId, 0, 0);
            stats.increment(Counter.UNKNOWN_SENT);
            return;
        }
        rpc.lastHeardNanos = now;
        if (rpc.outgoing == null) {
            if (rpc.serverState == Rpc.ServerState.RECEIVING && rpc.incoming == null) {
                // The request was discarded (it kept failing to authenticate): the client must send it again.
                queueControl(peer, PacketType.UNKNOWN, h.messageId, 0, 0);
                stats.increment(Counter.UNKNOWN_SENT);
            } else {
                // Still receiving the request or executing it: the client should keep waiting.
                queueControl(peer, PacketType.BUSY, h.messageId, 0, 0);
                stats.increment(Counter.BUSY_SENT);
            }
            return;
        }
        int maxPackets = config.grantWindow() / config.stride() + 2;
        rpc.outgoing.grant(h.offset + h.length);
        rpc.outgoing.requestRetransmit(h.offset, h.length, maxPackets);
        queueToSend(rpc);
    }

    /** The peer does not know an RPC we hold: restart our request, or drop our half-received request. */
    private void receiveUnknown(Peer peer, long rpcId, boolean aboutRequest, long now) {
        if (aboutRequest) {
            Rpc rpc = peer.serverRpcs.get(rpcId);
            if (rpc != null && rpc.serverState == Rpc.ServerState.RECEIVING) {
                releaseIncoming(rpc);
                peer.serverRpcs.remove(rpcId);
            }
            return;
        }
        Rpc rpc = peer.clientRpcs.get(rpcId);
        if (rpc != null && now - rpc.lastRestartNanos >= resendNanos) {
            // The server has no response for us, so any response state we hold came from packets
            // with damaged or forged headers: drop it with the restart, or it would wait forever.
            releaseIncoming(rpc);
            rpc.lastHeardNanos = now;
            rpc.lastRestartNanos = now;
            rpc.outgoing.restart();
            queueToSend(rpc);
        }
    }

    // ---------------------------------------------------------------- timers

    private void armTimer(long now) {
        if (nextTick == Long.MAX_VALUE) {
            nextTick = now + resendNanos;
        }
    }

    /** Runs retransmission and timeout checks; call when {@link #nextTimerNanos} has passed. */
    public void onTimer(long now) {
        if (now >= ackDeadline) {
            flushAcks();
        }
        if (now < nextTick) {
            return;
        }
        boolean active = false;
        for (Peer peer : peers.values()) {
            active |= tickRpcs(peer, peer.clientRpcs, now);
            active |= tickRpcs(peer, peer.serverRpcs, now);
        }
        nextTick = active ? now + resendNanos : Long.MAX_VALUE;
    }

    private boolean tickRpcs(Peer peer, Map<Long, Rpc> rpcs, long now) {
        for (Iterator<Rpc> it = rpcs.values().iterator(); it.hasNext(); ) {
            Rpc rpc = it.next();
            if (now - rpc.lastHeardNanos > timeoutNanos) {
                it.remove();
                forget(rpc);
                if (rpc.client) {
                    stats.increment(Counter.RPCS_FAILED);
                    events.add(new EngineEvent.CallFailed(rpc.attachment, new RpcException(RpcException.Reason.TIMEOUT,
                            "no answer from " + peer.address + " for " + config.rpcTimeout().toMillis() + " ms")));
                }
                continue;
            }
            if (now - rpc.lastResendNanos >= resendNanos) {
                recover(rpc, now);
            }
        }
        return !rpcs.isEmpty();
    }

    /** One step of loss recovery for an RPC that has been quiet for a resend interval. */
    private void recover(Rpc rpc, long now) {
        OutgoingMessage out = rpc.outgoing;
        IncomingMessage in = rpc.incoming;
        if (out != null && out.blockedOnGrant() && now - Math.max(out.lastGrantNanos, rpc.lastHeardNanos) >= resendNanos) {
            out.retransmitLastSent();
            queueToSend(rpc);
            rpc.lastResendNanos = now;
        }
        if (in != null && now - in.lastProgressNanos >= resendNanos) {
            long[] missing = in.firstMissing(in.granted);
            if (missing != null) {
                queueControl(rpc.peer, PacketType.RESEND, in.messageId, missing[0], missing[1]);
                stats.increment(Counter.RESENDS_SENT);
                rpc.lastResendNanos = now;
            }
        } else if (rpc.client && in == null && out != null && out.fullySent() && now - rpc.lastHeardNanos >= resendNanos) {
            queueControl(rpc.peer, PacketType.RESEND, rpc.incomingMessageId(), 0, config.unscheduledBytes());
            stats.increment(Counter.RESENDS_SENT);
            rpc.lastResendNanos = now;
        } else if (!rpc.client && rpc.serverState == Rpc.ServerState.RESPONDING && out != null && out.fullySent()
                && now - rpc.lastHeardNanos >= resendNanos) {
            queueControl(rpc.peer, PacketType.NEED_ACK, rpc.outgoingMessageId(), 0, 0);
            stats.increment(Counter.NEED_ACKS_SENT);
            rpc.lastResendNanos = now;
        }
    }

    // ---------------------------------------------------------------- acknowledgements

    private void deferAck(Peer peer, long rpcId, long now) {
        if (peer.pendingAckCount == 0) {
            peersWithPendingAcks.add(peer);
            ackDeadline = Math.min(ackDeadline, now + ackDelayNanos);
        }
        peer.pendingAcks[peer.pendingAckCount++] = rpcId;
        if (peer.pendingAckCount == peer.pendingAcks.length) {
            queueAcks(peer);
            peersWithPendingAcks.remove(peer);
        }
    }

    private void flushAcks() {
        for (Peer peer : peersWithPendingAcks) {
            queueAcks(peer);
        }
        peersWithPendingAcks.clear();
        ackDeadline = Long.MAX_VALUE;
    }

    /** One ACK per run of consecutive RPC IDs; RPC IDs are issued in order, so runs are usually long. */
    private void queueAcks(Peer peer) {
        long[] ids = peer.pendingAcks;
        int n = peer.pendingAckCount;
        Arrays.sort(ids, 0, n);
        int start = 0;
        for (int i = 1; i <= n; i++) {
            if (i == n || ids[i] != ids[i - 1] + 1) {
                queueControl(peer, PacketType.ACK, ids[start] << 1 | 1, 0, i - start);
                start = i;
            }
        }
        peer.pendingAckCount = 0;
    }

    // ---------------------------------------------------------------- helpers

    private void queueToSend(Rpc rpc) {
        if (!rpc.queuedToSend && rpc.outgoing != null && rpc.outgoing.hasSendable()) {
            rpc.queuedToSend = true;
            sendQueue.add(rpc);
        }
    }

    private void releaseIncoming(Rpc rpc) {
        IncomingMessage m = rpc.incoming;
        if (m != null) {
            adjustUnauthenticated(rpc.peer, -m.unauthenticatedBytes);
            rpc.incoming = null;
        }
    }

    /** Releases what an RPC that leaves the engine holds: buffered input and its outgoing message's key epoch. */
    private void forget(Rpc rpc) {
        releaseIncoming(rpc);
        if (rpc.outgoing != null) {
            rpc.outgoing.retire(false);
        }
    }

    private void failPeer(Peer peer) {
        failRpcs(peer, new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer.address + " closed: integrity limit reached"));
    }

    /** Fails the peer's calls with {@code error} and drops its server-side RPCs. */
    private void failRpcs(Peer peer, RpcException error) {
        for (Rpc rpc : peer.clientRpcs.values()) {
            stats.increment(Counter.RPCS_FAILED);
            events.add(new EngineEvent.CallFailed(rpc.attachment, error));
            forget(rpc);
        }
        peer.clientRpcs.clear();
        peer.serverRpcs.values().forEach(this::forget);
        peer.serverRpcs.clear();
    }

    private void queueControl(Peer peer, PacketType type, long messageId, long offset, long length) {
        ControlSlot slot = freeSlots.isEmpty() ? new ControlSlot() : freeSlots.poll();
        ControlHeader h = outControl.type(type);
        h.messageId = messageId;
        h.offset = offset;
        h.length = length;
        ByteBuffer packet = ByteBuffer.wrap(slot.bytes);
        if (peer.encrypted()) {
            SendProtection.SendEpoch epoch = peer.send.reserve(1);
            h.flags = 0;
            h.epoch = epoch.keys().wireEpoch();
            h.packetNumber = epoch.nextControlPacketNumber();
            h.encode(packet);
            peer.send.sealControl(RecordCrypter.forCurrentThread(peer.suite), epoch, h.packetNumber,
                    packet.duplicate().limit(ControlHeader.TAG_OFFSET), packet.duplicate().position(ControlHeader.TAG_OFFSET));
        } else {
            h.flags = CommonHeader.FLAG_PLAINTEXT;
            h.epoch = 0;
            h.packetNumber = 0;
            h.encode(packet);
            Arrays.fill(slot.bytes, ControlHeader.TAG_OFFSET, ControlHeader.LENGTH, (byte) 0);
        }
        if (type == PacketType.ACK) {
            stats.increment(Counter.ACKS_SENT);
        }
        slot.to = peer.address;
        controlQueue.add(slot);
    }
}
