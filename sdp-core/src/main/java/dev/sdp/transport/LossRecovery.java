package dev.sdp.transport;

import dev.sdp.transport.TimerTable.Timer;
import dev.sdp.wire.PacketType;

/**
 * Loss recovery and RPC timeouts (docs/PROTOCOL.md §10a; Homa's homa_timer.c): every resend
 * interval while RPCs are open, each RPC quiet for an interval takes one recovery step: a receiver
 * asks for the first missing range it granted (RESEND); a client whose request is sent and whose
 * response has not begun asks for the response's first bytes; a sender blocked on a grant that
 * does not come sends its last packet again, so a receiver that lost everything learns of the
 * message; a server whose response is sent asks for an ACK (NEED_ACK). An RPC whose peer has been
 * silent for the RPC timeout ends: a call fails with TIMEOUT.
 *
 * <p>A message is overdue after the peer's retransmission timeout ({@link RttEstimator}, never below
 * the resend interval): under load a response takes longer than an idle round trip, and asking
 * for it early only makes the server send it twice. RESENDs for one message back off exponentially
 * while it makes no progress (progress resets the count), and a sender answers a RESEND for bytes
 * it has not sent yet with BUSY, not data.
 *
 * <p>What a peer can make this side send is bounded (§12): a request none of whose records has
 * authenticated draws no RESEND from the timer (only as an answer to the client's own packets, see
 * {@link Incoming}) and is forgotten after the unauthenticated timeout, however the peer keeps it
 * busy; NEED_ACK backs off exponentially and stops after {@value #MAX_NEED_ACKS} of them, the
 * response then waiting for the client only until the RPC timeout of silence (the client may be
 * cut off for a while; its request has run and cannot run again, so its response must outlast that).
 */
final class LossRecovery {
    static final int MAX_NEED_ACKS = 6;
    /**
     * Consecutive RESENDs for one message wait 1, 2, 4, ... up to 2^this resend intervals: a message
     * that is slow, not lost (its sender is busy with shorter ones), is not asked for again and again.
     */
    static final int MAX_RESEND_BACKOFF = 4;

    private final TransportStats stats;
    private final Peers peers;
    private final ReceiveBudget budget;
    private final TimerTable timers;
    private final ControlQueue control;
    private final SendQueue sendQueue;
    private final RpcLifecycle<?> lifecycle;
    private final long resendNanos;
    private final long timeoutNanos;
    private final long unscheduledBytes;
    private final long timeoutMillis;
    private final long unauthenticatedTimeoutNanos;

    LossRecovery(TransportConfig config, TransportStats stats, Peers peers, TimerTable timers, ControlQueue control,
                 SendQueue sendQueue, ReceiveBudget budget, RpcLifecycle<?> lifecycle) {
        this.stats = stats;
        this.peers = peers;
        this.budget = budget;
        this.timers = timers;
        this.control = control;
        this.sendQueue = sendQueue;
        this.lifecycle = lifecycle;
        this.resendNanos = config.resendInterval().toNanos();
        this.timeoutNanos = config.rpcTimeout().toNanos();
        this.timeoutMillis = config.rpcTimeout().toMillis();
        this.unscheduledBytes = config.unscheduledBytes();
        this.unauthenticatedTimeoutNanos = config.unauthenticatedTimeout().toNanos();
    }

    /** An RPC opened: make sure the timer runs. */
    void arm(long now) {
        if (!timers.isSet(Timer.LOSS_RECOVERY)) {
            timers.set(Timer.LOSS_RECOVERY, now + resendNanos);
        }
    }

    /** Runs when the timer is due; re-arms it while any RPC is open. */
    void onTimer(long now) {
        if (!timers.expired(Timer.LOSS_RECOVERY, now)) {
            return;
        }
        Rpc stale;
        while ((stale = budget.expired(now - unauthenticatedTimeoutNanos)) != null) {
            lifecycle.close(stale, false);
            stats.increment(TransportStats.Counter.UNAUTHENTICATED_EXPIRED);
        }
        boolean active = false;
        for (Peer peer : peers.all()) {
            active |= tick(peer, peer.clientRpcs, now);
            active |= tick(peer, peer.serverRpcs, now);
        }
        if (active) {
            timers.set(Timer.LOSS_RECOVERY, now + resendNanos);
        } else {
            timers.stop(Timer.LOSS_RECOVERY);
        }
    }

    private boolean tick(Peer peer, RpcTable rpcs, long now) {
        for (int i = rpcs.size() - 1; i >= 0; i--) {
            Rpc rpc = rpcs.at(i);
            if (now - rpc.lastHeardNanos > timeoutNanos) {
                if (rpc.serverState == Rpc.ServerState.RESPONDING) {
                    stats.increment(TransportStats.Counter.RESPONSES_UNACKNOWLEDGED);
                }
                lifecycle.fail(rpc, new RpcException(RpcException.Reason.TIMEOUT,
                        "no answer from " + peer.address + " for " + timeoutMillis + " ms"));
            } else if (now >= rpc.deadlineNanos) {
                lifecycle.fail(rpc, new RpcException(RpcException.Reason.TIMEOUT,
                        "no response from " + peer.address + " by the call's deadline"));
            } else if (rpc.requestAccepted || rpc.client) {
                if (now - rpc.lastResendNanos >= resendNanos) {
                    recover(rpc, now);
                }
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
            sendQueue.add(rpc);
            rpc.lastResendNanos = now;
        }
        // However slow the peer, ask a few times before the RPC timeout gives up on it.
        long ceiling = timeoutNanos / 8;
        long overdue = rpc.peer.rtt.timeoutNanos(resendNanos, ceiling);
        long backoff = Math.min(ceiling, overdue << Math.min(rpc.unansweredResends, MAX_RESEND_BACKOFF));
        if (in != null && now - in.lastProgressNanos >= overdue) {
            long[] missing = in.firstMissing(in.granted);
            if (missing != null && now - rpc.lastResendNanos >= backoff) {
                control.queue(rpc.peer, PacketType.RESEND, in.messageId, missing[0], missing[1]);
                rpc.lastResendNanos = now;
                rpc.unansweredResends++;
            }
        } else if (rpc.client && in == null && out != null && out.fullySent() && now - rpc.lastHeardNanos >= overdue
                && now - rpc.lastResendNanos >= backoff) {
            control.queue(rpc.peer, PacketType.RESEND, rpc.incomingMessageId(), 0, unscheduledBytes);
            rpc.lastResendNanos = now;
            rpc.unansweredResends++;
        } else if (!rpc.client && rpc.serverState == Rpc.ServerState.RESPONDING && out != null && out.fullySent()
                && now - rpc.lastHeardNanos >= resendNanos && now - rpc.lastResendNanos >= resendNanos << rpc.needAcks) {
            if (rpc.needAcks == MAX_NEED_ACKS) {
                return;
            }
            rpc.needAcks++;
            control.queue(rpc.peer, PacketType.NEED_ACK, rpc.outgoingMessageId(), 0, 0);
            rpc.lastResendNanos = now;
        }
    }
}
