// Design notes: every server-side handshake costs a key agreement and a signature, so a source that
// sends ClientHellos as fast as it can would take the server's CPU (issue 14, F8: 762/s from one
// address kept a legitimate client out for 17.5 s). A token bucket per source IP address bounds
// what one source can make a server spend (docs/PROTOCOL.md §5b, "Bounded state"); the excess is
// dropped and a genuine client's retransmission finds a token later. The table of buckets is bounded
// too: buckets that have refilled are forgotten first, and beyond that sources go untracked (the
// caps on unfinished attempts still hold them).
package dev.sdp.session;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/** How many new handshakes each source IP address may start: a token bucket per address. */
final class HandshakeRate {
    private static final int MAX_TRACKED = 4096;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Tokens (in nanoseconds' worth of refill) and when they were last counted. */
    private static final class Bucket {
        long tokenNanos;
        long atNanos;
    }

    private final long nanosPerToken;
    private final long capacityNanos;
    private final Map<InetAddress, Bucket> buckets = new HashMap<>();

    /** {@code perSecond} new handshakes per second per source, in bursts of up to {@code burst}. */
    HandshakeRate(int perSecond, int burst) {
        this.nanosPerToken = NANOS_PER_SECOND / perSecond;
        this.capacityNanos = nanosPerToken * burst;
    }

    /** Takes a token for {@code source} if it has one. */
    boolean tryAcquire(InetAddress source, long now) {
        Bucket b = buckets.get(source);
        if (b == null) {
            if (buckets.size() >= MAX_TRACKED && !forgetRefilled(now)) {
                return true;
            }
            b = new Bucket();
            b.tokenNanos = capacityNanos;
            b.atNanos = now;
            buckets.put(source, b);
        }
        b.tokenNanos = Math.min(capacityNanos, b.tokenNanos + Math.max(0, now - b.atNanos));
        b.atNanos = now;
        if (b.tokenNanos < nanosPerToken) {
            return false;
        }
        b.tokenNanos -= nanosPerToken;
        return true;
    }

    /** Drops the buckets that are full again (their sources are as good as new); returns whether any went. */
    private boolean forgetRefilled(long now) {
        int before = buckets.size();
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            Bucket b = it.next();
            if (b.tokenNanos + (now - b.atNanos) >= capacityNanos) {
                it.remove();
            }
        }
        return buckets.size() < before;
    }
}
