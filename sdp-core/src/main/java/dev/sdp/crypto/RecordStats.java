package dev.sdp.crypto;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of the record layer: records sealed and every {@link RecordStatus} outcome of opening.
 * Safe to update from many threads and to read while traffic flows.
 */
public final class RecordStats {
    private static final RecordStatus[] STATUSES = RecordStatus.values();

    private final AtomicLongArray outcomes = new AtomicLongArray(STATUSES.length);
    private final AtomicLongArray sealed = new AtomicLongArray(2);

    void countOutcome(RecordStatus status) {
        outcomes.incrementAndGet(status.ordinal());
    }

    void countSealedRecord() {
        sealed.incrementAndGet(0);
    }

    void countSealedControl() {
        sealed.incrementAndGet(1);
    }

    /** How many records and control packets were opened with this outcome. */
    public long count(RecordStatus status) {
        return outcomes.get(status.ordinal());
    }

    /** All rejections added up. */
    public long rejections() {
        long sum = 0;
        for (RecordStatus s : STATUSES) {
            if (s.isRejection()) {
                sum += count(s);
            }
        }
        return sum;
    }

    /** Data records sealed. */
    public long sealedRecords() {
        return sealed.get(0);
    }

    /** Control packets sealed. */
    public long sealedControlPackets() {
        return sealed.get(1);
    }

    /** A snapshot of the outcome counters. */
    public Map<RecordStatus, Long> snapshot() {
        Map<RecordStatus, Long> map = new EnumMap<>(RecordStatus.class);
        for (RecordStatus s : STATUSES) {
            map.put(s, count(s));
        }
        return map;
    }

    @Override
    public String toString() {
        return "sealedRecords=" + sealedRecords() + " sealedControl=" + sealedControlPackets() + " " + snapshot();
    }
}
