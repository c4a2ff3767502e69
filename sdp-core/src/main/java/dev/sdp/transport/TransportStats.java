package dev.sdp.transport;

import dev.sdp.crypto.RecordStats;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/** Counters of a transport endpoint for operators: traffic, recovery and every reason a packet was dropped. */
public final class TransportStats {
    /** What is counted. */
    public enum Counter {
        PACKETS_IN, PACKETS_OUT, BYTES_IN, BYTES_OUT, DATA_DUPLICATES_RECEIVED,
        MESSAGES_SENT, MESSAGES_RECEIVED, RPCS_COMPLETED, RPCS_FAILED, REQUESTS_DELIVERED,
        DATA_RETRANSMITTED, GRANTS_SENT, GRANTS_RECEIVED, RESENDS_SENT, RESENDS_RECEIVED,
        BUSY_SENT, ACKS_SENT, NEED_ACKS_SENT, UNKNOWN_SENT, CLOSES_SENT, SESSIONS_CLOSED_BY_PEER,
        DUPLICATE_PACKETS, MALFORMED_PACKETS, UNKNOWN_PEER_PACKETS, INCONSISTENT_PACKETS,
        CONTROL_FOR_UNKNOWN_RPC, DATA_FOR_UNKNOWN_RPC, MESSAGE_TOO_LARGE_DROPPED,
        UNAUTHENTICATED_BUDGET_DROPPED, UNAUTHENTICATED_EVICTED, UNAUTHENTICATED_EXPIRED, DATA_BEFORE_AUTHENTICATION,
        REASSEMBLY_BUDGET_DROPPED, RESPONSES_UNACKNOWLEDGED, CONTROL_BUDGET_DROPPED, SESSIONS_KEY_EXHAUSTED,
        SESSIONS_INTEGRITY_LIMIT, RPC_CAP_DROPPED, MESSAGES_DISCARDED,
        HANDSHAKES_STARTED, HANDSHAKES_ACCEPTED, HANDSHAKES_COMPLETED, HANDSHAKES_FAILED, HANDSHAKES_RETRIED, HANDSHAKES_TIMED_OUT,
        HANDSHAKE_FLIGHTS_REPEATED, HANDSHAKE_AMPLIFICATION_LIMITED, HANDSHAKE_PACKETS_MALFORMED, HANDSHAKE_PACKETS_CORRUPTED, HANDSHAKE_FRAGMENTS_CONFLICTING, HANDSHAKE_PACKETS_STALE, HANDSHAKES_EVICTED, HANDSHAKES_RATE_LIMITED,
        SESSIONS_CLOSED_IDLE, SESSIONS_REPLACED, SESSIONS_EVICTED, SESSION_CAP_REFUSED, CALLS_REFUSED_FOR_NAME,
        SEND_CALLS, SEND_BUFFER_FULL, DATAGRAMS_NOT_SENT, INTERNAL_ERRORS, ERROR_RESPONSES_RECEIVED, REQUESTS_OF_ENDED_SESSIONS
    }

    private static final Counter[] COUNTERS = Counter.values();

    private final AtomicLongArray values = new AtomicLongArray(COUNTERS.length);
    private final RecordStats records = new RecordStats();

    /** Adds {@code delta} to a counter (for the layers above the engine). */
    public void add(Counter counter, long delta) {
        values.addAndGet(counter.ordinal(), delta);
    }

    /** Adds one to a counter. */
    public void increment(Counter counter) {
        values.incrementAndGet(counter.ordinal());
    }

    /** Current value of a counter. */
    public long get(Counter counter) {
        return values.get(counter.ordinal());
    }

    /** Counters of the record layer: records sealed and each outcome of opening, rejections included. */
    public RecordStats records() {
        return records;
    }

    /** A snapshot of all transport counters. */
    public Map<Counter, Long> snapshot() {
        Map<Counter, Long> map = new LinkedHashMap<>();
        for (Counter c : COUNTERS) {
            map.put(c, get(c));
        }
        return map;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        snapshot().forEach((k, v) -> {
            if (v != 0) {
                sb.append(k.name().toLowerCase()).append('=').append(v).append(' ');
            }
        });
        return sb.append(records).toString();
    }
}
