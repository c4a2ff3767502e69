package dev.sdp.transport;

import java.util.Arrays;

/**
 * The engine's timers by name, as quinn-proto's timer table: each is a deadline or unset, and the
 * engine asks to be woken at the earliest. Mechanisms arm and stop their own timer; none keeps a
 * private deadline the I/O layer cannot see.
 */
final class TimerTable {
    /** The engine's timers. */
    enum Timer {
        /** Loss recovery and RPC timeouts (docs/PROTOCOL.md §10a), every resend interval while RPCs are open. */
        LOSS_RECOVERY,
        /** Sending batched ACKs at the latest a tenth of the resend interval after the first one waited. */
        ACK_FLUSH
    }

    private static final long UNSET = Long.MAX_VALUE;
    private final long[] deadlines = new long[Timer.values().length];

    TimerTable() {
        Arrays.fill(deadlines, UNSET);
    }

    void set(Timer timer, long at) {
        deadlines[timer.ordinal()] = at;
    }

    /** Sets the timer unless it is already set to fire earlier. */
    void setNoLaterThan(Timer timer, long at) {
        deadlines[timer.ordinal()] = Math.min(deadlines[timer.ordinal()], at);
    }

    boolean isSet(Timer timer) {
        return deadlines[timer.ordinal()] != UNSET;
    }

    void stop(Timer timer) {
        deadlines[timer.ordinal()] = UNSET;
    }

    /** Whether the timer is set and its deadline has come. */
    boolean expired(Timer timer, long now) {
        return deadlines[timer.ordinal()] != UNSET && now >= deadlines[timer.ordinal()];
    }

    /** The earliest deadline, or Long.MAX_VALUE when no timer is set. */
    long next() {
        long next = UNSET;
        for (long d : deadlines) {
            next = Math.min(next, d);
        }
        return next;
    }
}
