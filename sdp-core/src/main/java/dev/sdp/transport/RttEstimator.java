package dev.sdp.transport;

/**
 * A peer's round-trip time, smoothed as TCP does (RFC 6298 §2: SRTT and RTTVAR with gains 1/8 and
 * 1/4, RTO = SRTT + 4 RTTVAR), from which loss recovery decides when a message is overdue
 * (docs/PROTOCOL.md §10a). Samples are a call's time from submission to the first packet of its
 * response, taken only from calls that needed no RESEND or restart (Karn's rule: a retransmission
 * makes the sample ambiguous). The sample includes the server's work, which is what a client waits
 * for. Until a sample arrives, and never below it, the configured resend interval is the timeout.
 */
final class RttEstimator {
    private long smoothedNanos;
    private long variationNanos;
    private boolean sampled;

    void sample(long rttNanos) {
        if (rttNanos <= 0) {
            return;
        }
        if (!sampled) {
            smoothedNanos = rttNanos;
            variationNanos = rttNanos / 2;
            sampled = true;
        } else {
            variationNanos += (Math.abs(smoothedNanos - rttNanos) - variationNanos) / 4;
            smoothedNanos += (rttNanos - smoothedNanos) / 8;
        }
    }

    /** How long to wait for the peer before asking again: the retransmission timeout, within [floor, ceiling]. */
    long timeoutNanos(long floorNanos, long ceilingNanos) {
        return sampled ? Math.max(floorNanos, Math.min(ceilingNanos, smoothedNanos + 4 * variationNanos)) : floorNanos;
    }

    /** The smoothed round trip, or 0 before the first sample (for tests and diagnostics). */
    long smoothedNanos() {
        return smoothedNanos;
    }
}
