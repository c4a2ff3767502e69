package dev.sdp.crypto;

import java.util.Arrays;

/**
 * Anti-replay window over once-only identifiers (message IDs, control packet numbers): a floor
 * plus a sliding bitmap of the {@code size} identifiers below the highest one accepted
 * (DTLS 1.3 §4.5.1, RFC 4303 §3.4.3). Identifiers at or below the floor, and identifiers already
 * accepted, are rejected. {@link #check} is O(1) and changes nothing, so it can screen packets
 * before they are authenticated; only {@link #accept}, called once the identifier's first record
 * has authenticated, moves the window, so forged identifiers cannot shift it. Thread-safe.
 */
public final class ReplayWindow {
    /** Window size used when none is configured: identifiers tracked below the highest one. */
    public static final int DEFAULT_SIZE = 8192;

    private final int size;
    private final long[] bits;
    private long highest;

    /** A window tracking {@code size} identifiers: a power of two, at least 64. Identifier 0 is never accepted. */
    public ReplayWindow(int size) {
        if (size < 64 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("replay window size must be a power of two >= 64: " + size);
        }
        this.size = size;
        this.bits = new long[size / 64];
    }

    /** A window of {@link #DEFAULT_SIZE}. */
    public ReplayWindow() {
        this(DEFAULT_SIZE);
    }

    /** Whether {@code id} could still be accepted: OK, {@link RecordStatus#TOO_OLD} or {@link RecordStatus#REPLAY}. */
    public synchronized RecordStatus check(long id) {
        if (id <= floor()) {
            return RecordStatus.TOO_OLD;
        }
        if (id > highest) {
            return RecordStatus.OK;
        }
        return isSet(id) ? RecordStatus.REPLAY : RecordStatus.OK;
    }

    /**
     * Records an authenticated identifier. Returns OK when it was new; otherwise the identifier is
     * a replay (or too old) after all, for instance because a duplicate authenticated first.
     */
    public synchronized RecordStatus accept(long id) {
        RecordStatus status = check(id);
        if (status != RecordStatus.OK) {
            return status;
        }
        if (id > highest) {
            slideTo(id);
        }
        bits[index(id)] |= 1L << id;
        return RecordStatus.OK;
    }

    /** Identifiers at or below this value are rejected as too old. */
    public synchronized long floor() {
        return Math.max(0, highest - size);
    }

    /** The highest identifier accepted so far, 0 if none. */
    public synchronized long highest() {
        return highest;
    }

    /** Number of identifiers tracked below the highest one. */
    public int size() {
        return size;
    }

    private void slideTo(long id) {
        if (id - highest >= size) {
            Arrays.fill(bits, 0L);
        } else {
            for (long v = highest + 1; v <= id; v++) {
                bits[index(v)] &= ~(1L << v);
            }
        }
        highest = id;
    }

    private boolean isSet(long id) {
        return (bits[index(id)] & (1L << id)) != 0;
    }

    private int index(long id) {
        return (int) ((id & (size - 1)) >>> 6);
    }
}
