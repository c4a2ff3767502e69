package dev.sdp;

import dev.sdp.transport.TransportStats;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A read-only snapshot of an {@link SdpSocket}'s counters ({@link SdpSocket#statistics()}): each
 * {@link Statistic} at the moment it was taken. {@link #since} gives the change between two
 * snapshots, as a periodic report wants.
 */
public final class SocketStatistics {
    private static final Statistic[] ALL = Statistic.values();

    private final long[] values;

    private SocketStatistics(long[] values) {
        this.values = values;
    }

    static SocketStatistics of(TransportStats stats) {
        long[] values = new long[ALL.length];
        for (Statistic s : ALL) {
            values[s.ordinal()] = s.read(stats);
        }
        return new SocketStatistics(values);
    }

    /**
     * The value of one counter.
     *
     * @param statistic which counter
     * @return its value in this snapshot
     */
    public long get(Statistic statistic) {
        return values[statistic.ordinal()];
    }

    /**
     * Records and control packets that failed to open, every reason added up.
     *
     * @return the sum of the records_rejected_ counters
     */
    public long recordsRejected() {
        long sum = 0;
        for (Statistic s : ALL) {
            if (s.isRecordRejection()) {
                sum += get(s);
            }
        }
        return sum;
    }

    /**
     * What changed since {@code earlier} (a snapshot of the same socket taken before this one).
     *
     * @param earlier the earlier snapshot
     * @return each counter's change
     */
    public SocketStatistics since(SocketStatistics earlier) {
        long[] delta = new long[values.length];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = values[i] - earlier.values[i];
        }
        return new SocketStatistics(delta);
    }

    /**
     * Every counter, in declaration order.
     *
     * @return an unmodifiable map
     */
    public Map<Statistic, Long> asMap() {
        Map<Statistic, Long> map = new EnumMap<>(Statistic.class);
        for (Statistic s : ALL) {
            map.put(s, get(s));
        }
        return Collections.unmodifiableMap(map);
    }

    /**
     * Every counter by its snake_case key, in declaration order.
     *
     * @return an unmodifiable map
     */
    public Map<String, Long> byKey() {
        Map<String, Long> map = new LinkedHashMap<>();
        for (Statistic s : ALL) {
            map.put(s.key(), get(s));
        }
        return Collections.unmodifiableMap(map);
    }

    /** The counters that are not zero, as {@code key=value} separated by spaces. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Statistic s : ALL) {
            long v = get(s);
            if (v != 0) {
                sb.append(sb.isEmpty() ? "" : " ").append(s.key()).append('=').append(v);
            }
        }
        return sb.toString();
    }
}
