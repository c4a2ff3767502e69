package dev.sdp.transport;

import dev.sdp.transport.TimerTable.Timer;
import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.PacketType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A client's acknowledgements of complete responses, batched (docs/PROTOCOL.md §10a): ACKs only
 * free server state, which NEED_ACK reclaims after a resend interval anyway, so they wait up to a
 * tenth of the resend interval or until 64 are pending per peer, and go out as one ACK per run of
 * consecutive RPC IDs. That keeps an AEAD operation and a datagram per RPC off both ends'
 * critical path. RPC IDs are issued in order, so runs are usually long.
 */
final class AckBatcher {
    /** A peer's completed calls whose ACK has not gone out yet. */
    static final class PendingAcks {
        private final long[] rpcIds = new long[ControlHeader.MAX_ACK_RUN];
        private int count;
    }

    private final ControlQueue control;
    private final TimerTable timers;
    private final long delayNanos;
    private final List<Peer> waiting = new ArrayList<>();

    AckBatcher(ControlQueue control, TimerTable timers, long delayNanos) {
        this.control = control;
        this.timers = timers;
        this.delayNanos = delayNanos;
    }

    /** The response of {@code rpcId} is complete: acknowledge it soon. */
    void defer(Peer peer, long rpcId, long now) {
        PendingAcks acks = peer.pendingAcks;
        if (acks.count == 0) {
            waiting.add(peer);
            timers.setNoLaterThan(Timer.ACK_FLUSH, now + delayNanos);
        }
        acks.rpcIds[acks.count++] = rpcId;
        if (acks.count == acks.rpcIds.length) {
            send(peer);
            waiting.remove(peer);
        }
    }

    /** Sends every pending ACK (the timer fired, or the endpoint closes). */
    void flush() {
        for (Peer peer : waiting) {
            send(peer);
        }
        waiting.clear();
        timers.stop(Timer.ACK_FLUSH);
    }

    /** Drops the ACKs pending for a peer whose session ended. */
    void forget(Peer peer) {
        waiting.remove(peer);
        peer.pendingAcks.count = 0;
    }

    private void send(Peer peer) {
        PendingAcks acks = peer.pendingAcks;
        long[] ids = acks.rpcIds;
        int n = acks.count;
        Arrays.sort(ids, 0, n);
        int start = 0;
        for (int i = 1; i <= n; i++) {
            if (i == n || ids[i] != ids[i - 1] + 1) {
                control.queue(peer, PacketType.ACK, ids[start] << 1 | 1, 0, i - start);
                start = i;
            }
        }
        acks.count = 0;
    }
}
