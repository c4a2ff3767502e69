package dev.sdp.transport;

import dev.sdp.crypto.RecordCrypter;
import dev.sdp.crypto.RecordStatus;
import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.DataHeader;
import dev.sdp.wire.MessageLayout;
import dev.sdp.wire.PacketType;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The packet handlers, together (as quinn-proto keeps them): each received datagram is routed by
 * type once, checked in the order of docs/PROTOCOL.md §10 (every rejection counted), and handed to
 * the mechanism it concerns: DATA to its RPC's {@link IncomingMessage}, then to the
 * {@link GrantScheduler}; GRANT and RESEND to the sender's {@link OutgoingMessage} and the
 * {@link SendQueue}; ACK, UNKNOWN and timeouts to the {@link RpcLifecycle}. The rules for what
 * each control packet means are in §10a.
 */
final class Incoming {
    private static final OperatorLog UNAUTHENTICATED_EVICTED = new OperatorLog(Incoming.class, System.Logger.Level.WARNING);
    private final TransportConfig config;
    private final TransportStats stats;
    private final Peers peers;
    private final ReceiveBudget budget;
    private final GrantScheduler grants;
    private final SendQueue sendQueue;
    private final ControlQueue control;
    private final LossRecovery recovery;
    private final RpcLifecycle<?> lifecycle;
    private final RecordOpener opener;
    private final DataHeader dataHeader = new DataHeader();
    private final ControlHeader controlHeader = new ControlHeader();
    /** A received control packet is copied here, so its tag is checked through fixed views. */
    private final ControlBytes controlBytes = new ControlBytes();
    /** Holds a record's plaintext until its message has authenticated and has a buffer of its own. */
    private final ByteBuffer scratch = ByteBuffer.allocate(MessageLayout.MAX_RECORD_PLAINTEXT + 1);
    private final long resendNanos;

    Incoming(TransportConfig config, TransportStats stats, Peers peers, ReceiveBudget budget, GrantScheduler grants,
             SendQueue sendQueue, ControlQueue control, LossRecovery recovery, RpcLifecycle<?> lifecycle, RecordOpener opener) {
        this.config = config;
        this.stats = stats;
        this.peers = peers;
        this.budget = budget;
        this.grants = grants;
        this.sendQueue = sendQueue;
        this.control = control;
        this.recovery = recovery;
        this.lifecycle = lifecycle;
        this.opener = opener;
        this.resendNanos = config.resendInterval().toNanos();
    }

    /** Routes one datagram (position to limit; consumed). */
    void receive(InetSocketAddress from, ByteBuffer datagram, long now) {
        stats.increment(Counter.PACKETS_IN);
        stats.add(Counter.BYTES_IN, datagram.remaining());
        Peer peer = peers.get(from);
        if (peer == null) {
            stats.increment(Counter.UNKNOWN_PEER_PACKETS);
            return;
        }
        control.received(peer, datagram.remaining());
        PacketType type = CommonHeader.peekType(datagram);
        if (type == null || type == PacketType.HANDSHAKE) {
            stats.increment(Counter.MALFORMED_PACKETS);
        } else if (type == PacketType.DATA) {
            onData(peer, datagram, now);
        } else {
            onControl(peer, datagram, now);
        }
    }

    // ---------------------------------------------------------------- DATA

    private void onData(Peer peer, ByteBuffer datagram, long now) {
        DataHeader h = dataHeader;
        if (!h.decode(datagram) || ((h.flags & CommonHeader.FLAG_PLAINTEXT) == 0) != peer.encrypted()) {
            stats.increment(Counter.MALFORMED_PACKETS);
            return;
        }
        if ((h.messageId & 1) == 0 && (h.flags & CommonHeader.FLAG_ERROR) != 0) {
            stats.increment(Counter.MALFORMED_PACKETS); // only a response can be an error
            return;
        }
        if (h.messageLength > config.maxMessageSize()) {
            stats.increment(Counter.MESSAGE_TOO_LARGE_DROPPED);
            return;
        }
        boolean request = (h.messageId & 1) == 0;
        boolean rpcCreated = false;
        Rpc rpc = peer.receiving(h.messageId);
        if (rpc == null) {
            if (!request) {
                stats.increment(Counter.DATA_FOR_UNKNOWN_RPC);
                return;
            }
            rpc = newServerRpc(peer, h.messageId, now);
            if (rpc == null) {
                return;
            }
            rpcCreated = true;
        } else if (request && rpc.serverState != Rpc.ServerState.RECEIVING) {
            stats.increment(Counter.DUPLICATE_PACKETS);
            stats.increment(Counter.DATA_DUPLICATES_RECEIVED);
            rpc.lastHeardNanos = now;
            return;
        }
        datagram.position(datagram.position() + DataHeader.LENGTH);
        IncomingMessage m = rpc.incoming;
        if (m == null) {
            // Held by the RPC from the start, so whatever the packet's outcome, ending the RPC returns its memory.
            m = new IncomingMessage(h, peer, budget, now);
            if (peer.encrypted() && h.messageLength > MessageLayout.SEGMENT_SIZE) {
                m.offloadTo(opener.job(rpc, m));
            }
            rpc.incoming = m;
        }
        if (!makeRoom(peer, rpc, m.unauthenticatedChargeFor(h))) {
            stats.increment(Counter.UNAUTHENTICATED_BUDGET_DROPPED);
            dropIfEmpty(rpc, m, rpcCreated);
            return;
        }
        RecordCrypter crypter = peer.encrypted() ? RecordCrypter.forCurrentThread(peer.suite) : null;
        IncomingMessage.Outcome outcome = m.accept(h, datagram, peer.receive, crypter, scratch, now);
        // A record that failed may have been the one that reached the integrity limit.
        endIfIntegrityLimit(peer);
        switch (outcome) {
            case DUPLICATE -> {
                stats.increment(Counter.DUPLICATE_PACKETS);
                stats.increment(Counter.DATA_DUPLICATES_RECEIVED);
                reassureWaitingSender(rpc, m, now);
            }
            case INCONSISTENT -> {
                stats.increment(Counter.INCONSISTENT_PACKETS);
                dropIfEmpty(rpc, m, rpcCreated);
                return;
            }
            case NOT_YET -> {
                stats.increment(Counter.DATA_BEFORE_AUTHENTICATION);
                askForFirstRecord(rpc, now);
                return;
            }
            case NO_MEMORY -> {
                stats.increment(m.authenticated() ? Counter.REASSEMBLY_BUDGET_DROPPED : Counter.UNAUTHENTICATED_BUDGET_DROPPED);
                dropIfEmpty(rpc, m, rpcCreated);
                return;
            }
            case DISCARD -> {
                stats.increment(Counter.MESSAGES_DISCARDED);
                lifecycle.release(rpc);
                return;
            }
            default -> { }
        }
        rpc.lastHeardNanos = now;
        if (rpc.client && !rpc.responseAuthenticated && m.authenticated()) {
            rpc.responseAuthenticated = true;
            sampleRoundTrip(rpc, h, now);
        }
        rpc.requestTaken |= rpc.client && m.authenticated();
        if (outcome != IncomingMessage.Outcome.DUPLICATE) {
            rpc.unansweredResends = 0;
        }
        if (m.authenticated()) {
            peer.lastAuthenticatedNanos = now;
        }
        if (request && !rpc.requestAccepted && m.authenticated()) {
            if (peer.encrypted() && peer.receive.acceptRequest(h.messageId) != RecordStatus.OK) {
                lifecycle.close(rpc, false);
                return;
            }
            rpc.requestAccepted = true;
        }
        if (outcome == IncomingMessage.Outcome.COMPLETE) {
            lifecycle.delivered(rpc, m, now);
        } else {
            grants.check(rpc);
        }
    }

    /** Applies the outcomes of records opened off this thread (see {@link RecordOpener}). */
    void settleOpenedRecords(long now) {
        RecordOpener.Work work;
        while ((work = opener.poll()) != null) {
            Rpc rpc = work.job.rpc;
            IncomingMessage m = work.job.message;
            if (rpc.incoming != m) {
                continue; // the message was dropped meanwhile
            }
            IncomingMessage.Outcome outcome = m.settle(work);
            endIfIntegrityLimit(rpc.peer);
            switch (outcome) {
                case DISCARD -> {
                    stats.increment(Counter.MESSAGES_DISCARDED);
                    lifecycle.release(rpc);
                }
                case COMPLETE -> lifecycle.delivered(rpc, m, now);
                default -> grants.check(rpc);
            }
        }
    }

    /**
     * A round trip: from the call to the packet that authenticated its response, unless either may
     * be a repeat (Karn's rule). Taken at authentication, not at the response's first packet, so a
     * forged packet cannot set the estimate. RESENDs this side sent for the response do not make it a
     * repeat (the packet says whether it is a retransmission); without that, a peer whose first calls
     * are all slower than the initial timeout would never be sampled.
     */
    private static void sampleRoundTrip(Rpc rpc, DataHeader h, long now) {
        if ((h.flags & CommonHeader.FLAG_RETRANSMIT) == 0 && rpc.lastRestartNanos == 0 && !rpc.outgoing.retransmitted()) {
            rpc.peer.rtt.sample(now - rpc.createdNanos);
        }
    }

    private Rpc newServerRpc(Peer peer, long messageId, long now) {
        long rpcId = messageId >>> 1;
        RecordStatus screen = peer.encrypted() ? peer.receive.screenRequest(messageId) : peer.plaintextRequests.accept(rpcId);
        if (screen != RecordStatus.OK) {
            stats.increment(Counter.DUPLICATE_PACKETS);
            return null;
        }
        if (peer.openRpcs() >= config.maxRpcsPerPeer()) {
            Rpc victim = budget.oldestUnauthenticated(peer, null, false);
            if (victim == null) {
                stats.increment(Counter.RPC_CAP_DROPPED);
                return null;
            }
            lifecycle.close(victim, false);
            stats.increment(Counter.UNAUTHENTICATED_EVICTED);
            UNAUTHENTICATED_EVICTED.log("{0} has {1} RPCs open: dropped its oldest request not yet authenticated", peer.address,
                    config.maxRpcsPerPeer());
        }
        Rpc rpc = new Rpc(peer, rpcId, false, null, now);
        rpc.requestAccepted = !peer.encrypted();
        peer.serverRpcs.add(rpc);
        if (!rpc.requestAccepted) {
            budget.track(rpc);
        }
        // The server must ask for missing request data itself (RESEND) if its grants are lost.
        recovery.arm(now);
        return rpc;
    }

    /**
     * Makes room for {@code bytes} more unauthenticated bytes from {@code peer} by dropping the
     * requests that have waited longest without authenticating (never {@code keep}); false when
     * there is nothing left to drop.
     */
    private boolean makeRoom(Peer peer, Rpc keep, long bytes) {
        while (bytes > 0 && !budget.fitsUnauthenticated(peer, bytes)) {
            Rpc victim = budget.victim(peer, keep, bytes);
            if (victim == null) {
                return false;
            }
            lifecycle.close(victim, false);
            stats.increment(Counter.UNAUTHENTICATED_EVICTED);
            UNAUTHENTICATED_EVICTED.log("memory for data not yet authenticated is at its cap: dropped a request from {0}",
                    victim.peer.address);
        }
        return true;
    }

    /**
     * A sender repeating its last packet is waiting for a grant that has not come because shorter
     * messages hold every slot: tell it the RPC is alive (BUSY names the message it waits for), at
     * most once per resend interval, so it does not time out while it waits its turn.
     */
    private void reassureWaitingSender(Rpc rpc, IncomingMessage m, long now) {
        if (m.authenticated() && m.granted < m.protectedLength && m.receivedBytes >= m.granted
                && now - rpc.lastResendNanos >= resendNanos) {
            rpc.lastResendNanos = now;
            control.queue(rpc.peer, PacketType.BUSY, m.messageId ^ 1, 0, 0);
        }
    }

    /**
     * A message state that holds nothing after a refused packet (built from a header that may be
     * forged) must not stay: a server drops the RPC if this packet created it or nothing of its
     * request ever authenticated; otherwise (a client, or a request already taken, which must keep
     * its RPC until it is answered) only the empty state goes.
     */
    private void dropIfEmpty(Rpc rpc, IncomingMessage m, boolean rpcCreated) {
        if (!m.isEmpty()) {
            return;
        }
        if (!rpc.client && (rpcCreated || !rpc.requestAccepted)) {
            lifecycle.close(rpc, false);
        } else {
            lifecycle.release(rpc);
        }
    }

    /**
     * Data of a message whose first record has not authenticated arrived ahead of that record (it
     * was lost or reordered): ask for the first record, at most once per resend interval, so the
     * answer is never more than the packets that prompted it.
     */
    private void askForFirstRecord(Rpc rpc, long now) {
        IncomingMessage m = rpc.incoming;
        long[] missing = m.firstMissing(m.firstRecordEnd());
        if (missing != null && now - rpc.lastResendNanos >= resendNanos) {
            rpc.lastResendNanos = now;
            control.queue(rpc.peer, PacketType.RESEND, m.messageId, missing[0], missing[1]);
        }
    }

    private void endIfIntegrityLimit(Peer peer) {
        if (peer.encrypted() && peer.receive.isClosed()) {
            peers.endLater(peer, Counter.SESSIONS_INTEGRITY_LIMIT);
        }
    }

    // ---------------------------------------------------------------- control packets

    private void onControl(Peer peer, ByteBuffer datagram, long now) {
        ControlHeader h = controlHeader;
        if (datagram.remaining() != ControlHeader.LENGTH || !h.decodeAny(datagram)
                || ((h.flags & CommonHeader.FLAG_PLAINTEXT) == 0) != peer.encrypted()) {
            stats.increment(Counter.MALFORMED_PACKETS);
            return;
        }
        if (peer.encrypted()) {
            datagram.get(controlBytes.bytes);
            RecordStatus status = peer.receive.openControl(RecordCrypter.forCurrentThread(peer.suite), h.epoch, h.packetNumber,
                    controlBytes.authenticated(), controlBytes.tag());
            if (status != RecordStatus.OK) {
                endIfIntegrityLimit(peer);
                return;
            }
            peer.lastAuthenticatedNanos = now;
        }
        switch (h.type()) {
            case GRANT -> onGrant(peer, h, now);
            case RESEND -> onResend(peer, h, now);
            case BUSY -> onBusy(peer, h, now);
            case UNKNOWN -> onUnknown(peer, h, now);
            case NEED_ACK -> onNeedAck(peer, h, now);
            case ACK -> onAck(peer, h);
            case CLOSE -> peers.endLater(peer, Counter.SESSIONS_CLOSED_BY_PEER);
            default -> stats.increment(Counter.MALFORMED_PACKETS);
        }
    }

    /** GRANT names a message this side sends. */
    private void onGrant(Peer peer, ControlHeader h, long now) {
        stats.increment(Counter.GRANTS_RECEIVED);
        Rpc rpc = peer.sending(h.messageId);
        if (rpc == null || rpc.outgoing == null || rpc.outgoing.messageId != h.messageId) {
            stats.increment(Counter.CONTROL_FOR_UNKNOWN_RPC);
            return;
        }
        rpc.lastHeardNanos = now;
        rpc.requestTaken |= rpc.client;
        rpc.outgoing.grant(h.offset);
        rpc.outgoing.lastGrantNanos = now;
        sendQueue.add(rpc);
    }

    /** RESEND names a message this side sends: our request (client) or our response (server). */
    private void onResend(Peer peer, ControlHeader h, long now) {
        stats.increment(Counter.RESENDS_RECEIVED);
        ResendEvent.report(peer, h.messageId, h.offset, h.length, false);
        Rpc rpc = peer.sending(h.messageId);
        if (rpc == null) {
            control.queue(peer, PacketType.UNKNOWN, h.messageId, 0, 0);
            return;
        }
        rpc.lastHeardNanos = now;
        rpc.needAcks = 0;
        if (rpc.outgoing == null) {
            if (rpc.serverState == Rpc.ServerState.RECEIVING && rpc.incoming == null) {
                // The request was discarded (it kept failing to authenticate): ask for all of it again.
                // (UNKNOWN would say the RPC is gone, which for a request once taken means its response is lost.)
                control.queue(peer, PacketType.RESEND, h.messageId ^ 1, 0, config.unscheduledBytes());
            } else if (rpc.serverState == Rpc.ServerState.RECEIVING && !rpc.incoming.authenticated()) {
                // The server asks for nothing on its own for a request that has not authenticated (it
                // may be forged); the client asking about its response shows it is waiting.
                askForFirstRecord(rpc, now);
            } else {
                // Still receiving the request or executing it: the client should keep waiting.
                control.queue(peer, PacketType.BUSY, h.messageId, 0, 0);
            }
            return;
        }
        int maxPackets = config.grantWindow() / config.stride() + 2;
        rpc.outgoing.grant(h.offset + h.length);
        if (!rpc.outgoing.requestRetransmit(h.offset, h.length, maxPackets)) {
            // Nothing in the range has gone out yet: it is queued behind shorter messages, not lost.
            control.queue(peer, PacketType.BUSY, h.messageId, 0, 0);
        }
        sendQueue.add(rpc);
    }

    /** BUSY names a message this side waits for (the peer is still receiving or executing): the RPC is alive. */
    private void onBusy(Peer peer, ControlHeader h, long now) {
        Rpc rpc = peer.receiving(h.messageId);
        if (rpc != null) {
            rpc.lastHeardNanos = now;
            rpc.requestTaken |= rpc.client;
        }
    }

    /** The peer does not know an RPC we hold: restart our request, or drop our half-received request. */
    private void onUnknown(Peer peer, ControlHeader h, long now) {
        if ((h.messageId & 1) == 0) {
            Rpc rpc = peer.serverRpcs.get(h.messageId >>> 1);
            if (rpc != null && rpc.serverState == Rpc.ServerState.RECEIVING) {
                lifecycle.close(rpc, false);
            }
            return;
        }
        Rpc rpc = peer.clientRpcs.get(h.messageId >>> 1);
        if (rpc != null && rpc.requestTaken) {
            // The server had the request (it granted, said BUSY or began the response) and has let the
            // RPC go since: sent again, the request would be refused as a replay, and must not run twice.
            lifecycle.fail(rpc, new RpcException(RpcException.Reason.RESPONSE_LOST,
                    peer.address + " no longer has the response, and the request may have run"));
        } else if (rpc != null && now - rpc.lastRestartNanos >= resendNanos) {
            // The server has no response for us, so any response state we hold came from packets
            // with damaged or forged headers: drop it with the restart, or it would wait forever.
            lifecycle.release(rpc);
            rpc.lastHeardNanos = now;
            rpc.lastRestartNanos = now;
            rpc.outgoing.restart();
            sendQueue.add(rpc);
        }
    }

    /**
     * NEED_ACK names a response the server has sent in full: acknowledge it if the call is over (the
     * ACK was lost); if the call still waits, the response was lost on the way: ask for what is
     * missing (at most once per resend interval), which also tells the server the client lives.
     */
    private void onNeedAck(Peer peer, ControlHeader h, long now) {
        if ((h.messageId & 1) == 0) {
            return;
        }
        Rpc rpc = peer.clientRpcs.get(h.messageId >>> 1);
        if (rpc == null) {
            control.queue(peer, PacketType.ACK, h.messageId, 0, 1);
        } else if (now - rpc.lastResendNanos >= resendNanos) {
            if (rpc.incoming == null) {
                // Nothing of the response arrived: ask for its start.
                control.queue(peer, PacketType.RESEND, h.messageId, 0, config.unscheduledBytes());
                rpc.lastResendNanos = now;
            } else {
                long[] missing = rpc.incoming.firstMissing(rpc.incoming.protectedLength);
                // With nothing missing, every packet is here and records are still being opened: the
                // ACK follows, and asking for data now would only have it sent twice.
                if (missing != null) {
                    control.queue(peer, PacketType.RESEND, h.messageId, missing[0], missing[1]);
                    rpc.lastResendNanos = now;
                }
            }
        }
    }

    /** ACK names the response of the first of a run of RPCs whose responses the client has. */
    private void onAck(Peer peer, ControlHeader h) {
        if ((h.messageId & 1) == 0) {
            stats.increment(Counter.MALFORMED_PACKETS);
            return;
        }
        long first = h.messageId >>> 1;
        for (long id = first; id < first + h.length; id++) {
            Rpc rpc = peer.serverRpcs.get(id);
            if (rpc != null && rpc.serverState == Rpc.ServerState.RESPONDING) {
                lifecycle.close(rpc, true);
            }
        }
    }
}
