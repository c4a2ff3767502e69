package dev.sdp.transport;

import dev.sdp.wire.PacketType;

/**
 * The receiver's grants (docs/PROTOCOL.md §10a, Homa's homa_grant.c): incoming messages of which
 * a record has authenticated (in plaintext mode, at once) and that are not fully granted are
 * candidates; the {@code overcommit} with the fewest protected bytes still to arrive are granted
 * up to what they have received plus the grant window. {@link #check} is the one entry point for
 * a message that made progress; {@link #withdraw} takes one out for any reason (complete, timed
 * out, abandoned, its peer gone) and {@link RpcLifecycle} then runs {@link #schedule}, so a freed
 * slot never waits for the next DATA packet. This class is the only writer of {@link IncomingMessage#granted} after a message's
 * first packet. A GRANT is sent only when it moves the grant by an eighth of the window (at least a
 * packet) or reaches the end, and
 * only when the reassembly budget could hold the rest of the message (protected bytes and
 * plaintext) beside what the shorter granted messages still need; a message left waiting is
 * granted when memory is released ({@link #schedule} after a message completes or ends).
 *
 * <p>Flow control (§10a): the bytes granted and not yet received, over all incoming messages, stay
 * within what the socket's receive buffer can hold ({@link #limitOutstanding}), less room for the
 * unscheduled bytes of messages that start meanwhile, so a grant never invites more than the kernel
 * can queue; the overcommit spreads that allowance over several senders, as Homa's does, so one
 * that stalls does not leave the link idle. Each message's share is counted whenever it changes
 * ({@link #check}) and returned when it leaves ({@link #withdraw}).
 */
final class GrantScheduler {
    private final RpcHeap candidates = new RpcHeap(RpcHeap.GRANT_CANDIDATES,
            rpc -> rpc.incoming.protectedLength - rpc.incoming.receivedBytes);
    private final ControlQueue control;
    private final ReceiveBudget budget;
    private final int overcommit;
    private final long window;
    /**
     * The least a GRANT moves a grant by (unless it reaches the end): an eighth of the window, at
     * least a packet. A GRANT per DATA packet, as Homa sends, doubles the packets a receiver handles
     * (each a system call both ways here); an eighth keeps the window at least 7/8 full.
     */
    private final long grantStep;
    private final Rpc[] active;
    /** Most bytes granted and not yet received, over all messages (by default, no limit that sums can reach). */
    private long maxOutstanding = 1L << 60;
    /** Bytes granted and not yet received, as last counted per message ({@link IncomingMessage#outstandingCounted}). */
    private long outstanding;

    GrantScheduler(ControlQueue control, ReceiveBudget budget, TransportConfig config) {
        this.control = control;
        this.budget = budget;
        this.overcommit = config.overcommit();
        this.window = config.grantWindow();
        this.grantStep = Math.max(config.stride(), config.grantWindow() / 8);
        this.active = new Rpc[overcommit];
    }

    /**
     * Keeps the bytes granted and not yet received, over all messages, within {@code bytes} (at
     * least one grant window, so a message can always move).
     */
    void limitOutstanding(long bytes) {
        maxOutstanding = Math.max(window, bytes);
    }

    /** Bytes granted and not yet received, over all messages (for tests and diagnostics). */
    long outstanding() {
        return outstanding;
    }

    /** The RPC's incoming message changed (bytes arrived, or a record failed): grant if it is among the shortest. */
    void check(Rpc rpc) {
        IncomingMessage m = rpc.incoming;
        if (m != null) {
            count(m);
        }
        if (m == null || !m.authenticated() || m.granted >= m.protectedLength) {
            candidates.remove(rpc);
        } else if (candidates.contains(rpc)) {
            candidates.update(rpc);
        } else {
            candidates.add(rpc);
        }
        schedule();
    }

    /** Takes the RPC out (it completed or is gone); call {@link #schedule} after, once for many. */
    boolean withdraw(Rpc rpc) {
        if (rpc.incoming != null) {
            outstanding -= rpc.incoming.outstandingCounted;
            rpc.incoming.outstandingCounted = 0;
        }
        return candidates.remove(rpc);
    }

    private void count(IncomingMessage m) {
        long now = Math.max(0, m.granted - m.receivedBytes);
        outstanding += now - m.outstandingCounted;
        m.outstandingCounted = now;
    }

    /** Messages waiting for grants (for tests and diagnostics). */
    int candidates() {
        return candidates.size();
    }

    /** Grants the shortest candidates; those fully granted stop being candidates. */
    void schedule() {
        int n = 0;
        while (n < overcommit && !candidates.isEmpty()) {
            active[n++] = candidates.poll();
        }
        // Memory promised to the messages granted so far in this round, shortest first: a message is
        // granted only if what all of them still need fits, so two messages never both hold part of
        // the pool while each waits for room the other holds.
        long promised = 0;
        for (int i = 0; i < n; i++) {
            Rpc rpc = active[i];
            active[i] = null;
            IncomingMessage m = rpc.incoming;
            long target = Math.min(Math.min(m.protectedLength, m.receivedBytes + window),
                    Math.max(m.granted, m.receivedBytes) + maxOutstanding - outstanding);
            // The plaintext still to come, plus the protected bytes of a window in flight: protected
            // segments are freed as their records open.
            long need = m.protectedLength - m.receivedBytes + window;
            boolean room = budget.reassemblyRoom(rpc.peer, promised + need);
            if (room) {
                promised += need;
            }
            if (room && (target >= m.granted + grantStep || (target == m.protectedLength && target > m.granted))) {
                m.granted = target;
                count(m);
                control.queue(rpc.peer, PacketType.GRANT, m.messageId, target, 0);
            }
            if (m.granted < m.protectedLength) {
                candidates.add(rpc);
            }
        }
    }
}
