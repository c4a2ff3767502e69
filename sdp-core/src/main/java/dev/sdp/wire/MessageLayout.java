package dev.sdp.wire;

/**
 * How an application message is cut into segments, TLS records and packets (docs/PROTOCOL.md §3).
 *
 * <p>All geometry is a pure function of the plaintext message length, so sender, receiver and any
 * network element that reads the plaintext header compute the same boundaries. A segment holds
 * {@value #SEGMENT_SIZE} plaintext bytes (the last one fewer); each segment is cut into records
 * of {@value #MAX_RECORD_PLAINTEXT} plaintext bytes (the last one fewer), so a record never spans
 * two segments or two messages. An empty message is one empty record.
 */
public final class MessageLayout {
    /** Largest plaintext carried in one record (RFC 8446 §5.1: 2^14). */
    public static final int MAX_RECORD_PLAINTEXT = 1 << 14;
    /** Plaintext bytes per segment: four full records. */
    public static final int SEGMENT_SIZE = 1 << 16;
    /** Records per full segment. */
    public static final int RECORDS_PER_SEGMENT = SEGMENT_SIZE / MAX_RECORD_PLAINTEXT;
    /** Record header (5) + inner content type (1) + AEAD tag (16). */
    public static final int RECORD_OVERHEAD = 5 + 1 + 16;
    /** Largest message: the 16-bit record index allows 2^16 full records. */
    public static final long MAX_MESSAGE_LENGTH = (long) MAX_RECORD_PLAINTEXT << 16;

    private MessageLayout() {
    }

    /** Number of records of a message; at least one, since an empty message still ends with a final record. */
    public static int recordCount(long messageLength) {
        checkLength(messageLength);
        return messageLength == 0 ? 1 : (int) ((messageLength + MAX_RECORD_PLAINTEXT - 1) / MAX_RECORD_PLAINTEXT);
    }

    /** Number of segments of a message; at least one. */
    public static int segmentCount(long messageLength) {
        checkLength(messageLength);
        return messageLength == 0 ? 1 : (int) ((messageLength + SEGMENT_SIZE - 1) / SEGMENT_SIZE);
    }

    /** Plaintext bytes carried by record {@code recordIndex}. */
    public static int recordPlaintextLength(long messageLength, int recordIndex) {
        long start = (long) recordIndex * MAX_RECORD_PLAINTEXT;
        return (int) Math.min(MAX_RECORD_PLAINTEXT, messageLength - start);
    }

    /** Plaintext bytes carried by the segment starting at {@code segmentOffset}. */
    public static int segmentPlaintextLength(long messageLength, long segmentOffset) {
        return (int) Math.min(SEGMENT_SIZE, messageLength - segmentOffset);
    }

    /** Bytes on the wire (records with headers and tags) of the segment at {@code segmentOffset}. */
    public static int segmentProtectedLength(long messageLength, long segmentOffset, boolean encrypted) {
        int plain = segmentPlaintextLength(messageLength, segmentOffset);
        if (!encrypted) {
            return plain;
        }
        int records = plain == 0 ? 1 : (plain + MAX_RECORD_PLAINTEXT - 1) / MAX_RECORD_PLAINTEXT;
        return plain + records * RECORD_OVERHEAD;
    }

    /** Bytes on the wire of the whole message: the sum of its protected segments. */
    public static long protectedLength(long messageLength, boolean encrypted) {
        return encrypted ? messageLength + (long) recordCount(messageLength) * RECORD_OVERHEAD : messageLength;
    }

    /**
     * Position in the protected message of the first byte of the segment at {@code segmentOffset}.
     * Every earlier segment is full, so it holds exactly {@code segmentOffset / 2^14} full records.
     */
    public static long protectedSegmentStart(long segmentOffset, boolean encrypted) {
        return encrypted ? segmentOffset + (segmentOffset / MAX_RECORD_PLAINTEXT) * RECORD_OVERHEAD : segmentOffset;
    }

    /** Index of the first record of the segment at {@code segmentOffset}. */
    public static int firstRecordOfSegment(long segmentOffset) {
        return (int) (segmentOffset / MAX_RECORD_PLAINTEXT);
    }

    private static void checkLength(long messageLength) {
        if (messageLength < 0 || messageLength > MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("message length out of range 0.." + MAX_MESSAGE_LENGTH + ": " + messageLength);
        }
    }
}
