package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The round-trip estimator alone: RFC 6298's arithmetic and the bounds loss recovery puts on it. */
class RttEstimatorTest {
    private static final long MS = 1_000_000;

    @Test
    void followsRfc6298() {
        RttEstimator rtt = new RttEstimator();
        assertEquals(2 * MS, rtt.timeoutNanos(2 * MS, 100 * MS), "the floor until a sample arrives");
        rtt.sample(8 * MS);
        assertEquals(8 * MS, rtt.smoothedNanos());
        assertEquals(8 * MS + 4 * 4 * MS, rtt.timeoutNanos(MS, 100 * MS), "first sample: RTTVAR = R/2");
        rtt.sample(16 * MS);
        // RTTVAR = 3/4 * 4 + 1/4 * |8 - 16| = 5; SRTT = 7/8 * 8 + 1/8 * 16 = 9.
        assertEquals(9 * MS, rtt.smoothedNanos());
        assertEquals(9 * MS + 4 * 5 * MS, rtt.timeoutNanos(MS, 100 * MS));
        assertEquals(20 * MS, rtt.timeoutNanos(MS, 20 * MS), "never above the ceiling");
        assertEquals(50 * MS, rtt.timeoutNanos(50 * MS, 100 * MS), "never below the floor");
    }

    @Test
    void ignoresNonsense() {
        RttEstimator rtt = new RttEstimator();
        rtt.sample(0);
        rtt.sample(-5);
        assertEquals(0, rtt.smoothedNanos());
    }
}
