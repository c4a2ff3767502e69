package dev.sdp.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The replay window against a reference model: the set of accepted identifiers, and the rule that
 * an identifier is acceptable when it is new and above (highest accepted - size). Sequences mix
 * genuine identifiers near the front, old ones, duplicates, and forged far-future identifiers that
 * never authenticate (they are checked but never accepted).
 */
class ReplayWindowPropertiesTest {

    /** A step: an identifier, and whether its packet authenticates. */
    @Provide
    Arbitrary<List<Tuple2<Long, Boolean>>> traffic() {
        Arbitrary<Long> nearFront = Arbitraries.longs().between(1, 400);
        Arbitrary<Long> forged = Arbitraries.longs().between(1L << 20, 1L << 47);
        Arbitrary<Tuple2<Long, Boolean>> genuine = nearFront.map(id -> Tuple.of(id, true));
        Arbitrary<Tuple2<Long, Boolean>> attack = Arbitraries.oneOf(nearFront, forged).map(id -> Tuple.of(id, false));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, genuine),
                net.jqwik.api.Tuple.of(1, attack)).list().ofMaxSize(600);
    }

    @Property(tries = 300)
    void agreesWithReferenceModel(@ForAll("traffic") List<Tuple2<Long, Boolean>> steps,
                                  @ForAll @IntRange(min = 6, max = 9) int sizeLog2,
                                  @ForAll @IntRange(min = 0, max = 50) int drift) {
        int size = 1 << sizeLog2;
        ReplayWindow window = new ReplayWindow(size);
        Set<Long> accepted = new HashSet<>();
        long highest = 0;
        long offset = 0;
        for (Tuple2<Long, Boolean> step : steps) {
            // Genuine senders move forward over time, so genuine IDs drift upwards.
            offset += drift;
            long id = step.get2() ? step.get1() + offset : step.get1();
            RecordStatus expected = id <= Math.max(0, highest - size) ? RecordStatus.TOO_OLD
                    : accepted.contains(id) ? RecordStatus.REPLAY : RecordStatus.OK;
            assertEquals(expected, window.check(id), "check " + id);
            if (step.get2()) {
                assertEquals(expected, window.accept(id), "accept " + id);
                if (expected == RecordStatus.OK) {
                    accepted.add(id);
                    highest = Math.max(highest, id);
                }
            }
            assertEquals(highest, window.highest());
        }
    }

    @Test
    void forgedFarFutureIdDoesNotMoveTheWindow() {
        ReplayWindow window = new ReplayWindow(64);
        assertEquals(RecordStatus.OK, window.accept(10));
        // An attacker's packet with a huge ID is screened but never authenticates, so it is never accepted.
        assertEquals(RecordStatus.OK, window.check(1L << 40));
        assertEquals(RecordStatus.OK, window.check(11), "genuine next ID still acceptable");
        assertEquals(10, window.highest());
        assertEquals(RecordStatus.OK, window.accept(11));
        assertEquals(RecordStatus.REPLAY, window.check(10));
        assertEquals(RecordStatus.TOO_OLD, window.check(0));
    }

    @Test
    void slidingPastTheWindowForgetsOldIdsAsTooOld() {
        ReplayWindow window = new ReplayWindow(64);
        for (long id = 1; id <= 200; id += 2) {
            assertEquals(RecordStatus.OK, window.accept(id));
        }
        assertEquals(RecordStatus.TOO_OLD, window.check(199 - 64));
        assertEquals(RecordStatus.OK, window.check(199 - 63), "an even ID inside the window was never seen");
        assertEquals(RecordStatus.REPLAY, window.check(199 - 62));
    }
}
