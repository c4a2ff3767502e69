package dev.sdp.transport;

import dev.sdp.crypto.ReceiveProtection;
import dev.sdp.crypto.RecordCrypter;
import dev.sdp.crypto.RecordStatus;
import dev.sdp.wire.DataHeader;
import dev.sdp.wire.MessageLayout;
import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * A message being received: packets are placed by (segment offset, packet index), each record is
 * opened as soon as all its bytes are present, and the message is complete when every record has
 * authenticated, the last with the final marker. Protected bytes are buffered per segment and
 * released once the segment's records are open; the plaintext is allocated only after a record
 * has authenticated (in plaintext mode, at once), so forged lengths cost no memory.
 */
final class IncomingMessage {
    /** What a packet did to the message. */
    enum Outcome { PROGRESS, DUPLICATE, INCONSISTENT, COMPLETE, DISCARD }

    private static final int MIN_TAG_FAILURES_TO_DISCARD = 16;
    private static final int MIN_INCONSISTENT_TO_DISCARD = 4;

    final long messageId;
    final long length;
    final int stride;
    final int wireEpoch;
    final boolean encrypted;
    final long protectedLength;
    private final int segmentCount;
    private final byte[][] segments;
    private final BitSet[] received;
    private final int[] recordsOpenInSegment;
    private final BitSet opened;
    private final int records;
    private byte[] plaintext;
    private int recordsOpened;
    private int tagFailures;
    private int inconsistent;
    private int consistent;
    long receivedBytes;
    long granted;
    long unauthenticatedBytes;
    long lastProgressNanos;

    IncomingMessage(DataHeader first, long now) {
        this.messageId = first.messageId;
        this.length = first.messageLength;
        this.stride = first.stride;
        this.wireEpoch = first.epoch;
        this.encrypted = (first.flags & DataHeader.FLAG_PLAINTEXT) == 0;
        this.protectedLength = MessageLayout.protectedLength(length, encrypted);
        this.segmentCount = MessageLayout.segmentCount(length);
        this.segments = new byte[segmentCount][];
        this.received = new BitSet[segmentCount];
        this.recordsOpenInSegment = new int[segmentCount];
        this.records = MessageLayout.recordCount(length);
        this.opened = new BitSet(records);
        this.granted = Math.min(first.unscheduled, protectedLength);
        this.lastProgressNanos = now;
        if (!encrypted) {
            plaintext = new byte[(int) length];
        }
    }

    boolean authenticated() {
        return plaintext != null;
    }

    /** The message, once {@link Outcome#COMPLETE}. */
    ByteBuffer payload() {
        return ByteBuffer.wrap(plaintext, 0, (int) length);
    }

    /**
     * Places one DATA packet. {@code receive} and {@code crypter} open records (null in plaintext
     * mode); {@code scratch} holds a record's plaintext until the message has authenticated.
     */
    Outcome accept(DataHeader h, ByteBuffer payload, ReceiveProtection receive, RecordCrypter crypter, ByteBuffer scratch, long now) {
        if (h.messageLength != length || h.stride != stride || h.epoch != wireEpoch
                || ((h.flags & DataHeader.FLAG_PLAINTEXT) == 0) != encrypted) {
            // When packets disagreeing with the header this message was built from outnumber those that
            // agree, that header was probably the damaged one: start over from the packets that follow.
            return ++inconsistent >= Math.max(MIN_INCONSISTENT_TO_DISCARD, consistent) ? Outcome.DISCARD : Outcome.INCONSISTENT;
        }
        int segment = (int) (h.segmentOffset / MessageLayout.SEGMENT_SIZE);
        int segmentLength = MessageLayout.segmentProtectedLength(length, h.segmentOffset, encrypted);
        long offsetInSegment = (long) h.packetIndex * stride;
        int expected = (int) Math.min(stride, segmentLength - offsetInSegment);
        if (segment >= segmentCount || (offsetInSegment >= segmentLength && segmentLength > 0) || payload.remaining() != expected) {
            return Outcome.INCONSISTENT;
        }
        consistent++;
        if (segmentDone(segment) || (received[segment] != null && received[segment].get(h.packetIndex))) {
            return Outcome.DUPLICATE;
        }
        if (!encrypted) {
            payload.get(plaintext, (int) (h.segmentOffset + offsetInSegment), expected);
            markReceived(segment, h.packetIndex, expected, now);
            return receivedBytes == protectedLength ? Outcome.COMPLETE : Outcome.PROGRESS;
        }
        if (segments[segment] == null) {
            segments[segment] = new byte[segmentLength];
            received[segment] = new BitSet();
        }
        payload.get(segments[segment], (int) offsetInSegment, expected);
        markReceived(segment, h.packetIndex, expected, now);
        if (!authenticated()) {
            unauthenticatedBytes += expected;
        }
        return openCompleteRecords(segment, (int) offsetInSegment, (int) offsetInSegment + expected, receive, crypter, scratch);
    }

    private void markReceived(int segment, int index, int bytes, long now) {
        if (received[segment] == null) {
            received[segment] = new BitSet();
        }
        received[segment].set(index);
        receivedBytes += bytes;
        lastProgressNanos = now;
    }

    private Outcome openCompleteRecords(int segment, int from, int to, ReceiveProtection receive, RecordCrypter crypter, ByteBuffer scratch) {
        long segmentOffset = (long) segment * MessageLayout.SEGMENT_SIZE;
        int firstRecord = MessageLayout.firstRecordOfSegment(segmentOffset);
        int recordsHere = recordsInSegment(segment);
        int fullRecord = MessageLayout.MAX_RECORD_PLAINTEXT + MessageLayout.RECORD_OVERHEAD;
        for (int k = Math.max(0, from / fullRecord - 1); k < recordsHere; k++) {
            int record = firstRecord + k;
            int start = k * fullRecord;
            if (start >= to) {
                break;
            }
            int end = start + MessageLayout.recordPlaintextLength(length, record) + MessageLayout.RECORD_OVERHEAD;
            if (end <= from || opened.get(record) || !allReceived(segment, start, end)) {
                continue;
            }
            Outcome outcome = openRecord(segment, record, start, end, receive, crypter, scratch);
            if (outcome != Outcome.PROGRESS) {
                return outcome;
            }
        }
        return recordsOpened == records ? Outcome.COMPLETE : Outcome.PROGRESS;
    }

    private Outcome openRecord(int segment, int record, int start, int end, ReceiveProtection receive, RecordCrypter crypter,
                               ByteBuffer scratch) {
        ByteBuffer sealed = ByteBuffer.wrap(segments[segment], start, end - start);
        int plainLength = end - start - MessageLayout.RECORD_OVERHEAD;
        long plainOffset = (long) record * MessageLayout.MAX_RECORD_PLAINTEXT;
        boolean last = record == records - 1;
        RecordStatus status;
        if (plaintext != null) {
            // Opening writes the inner content type right after the record's plaintext, where the next
            // record's first byte lives and may already be in place: keep it.
            int after = (int) plainOffset + plainLength;
            byte kept = plaintext[after];
            status = receive.openRecord(crypter, wireEpoch, messageId, record, last, sealed,
                    ByteBuffer.wrap(plaintext, (int) plainOffset, plainLength + 1));
            plaintext[after] = kept;
        } else {
            status = receive.openRecord(crypter, wireEpoch, messageId, record, last, sealed, scratch.clear());
        }
        if (status == RecordStatus.BAD_TAG) {
            forget(segment, start, end);
            // Damage on the way fails a few records; a message placed wrongly (a damaged first header) fails
            // nearly all of them. Start over only when failures outnumber the records that opened.
            return ++tagFailures > Math.max(MIN_TAG_FAILURES_TO_DISCARD, recordsOpened) ? Outcome.DISCARD : Outcome.PROGRESS;
        }
        if (status != RecordStatus.OK) {
            return Outcome.DISCARD;
        }
        if (plaintext == null) {
            // One extra byte: opening writes the inner content type after the last record's plaintext.
            plaintext = new byte[(int) length + 1];
            scratch.flip();
            scratch.get(plaintext, (int) plainOffset, plainLength);
            unauthenticatedBytes = 0;
        }
        opened.set(record);
        recordsOpened++;
        if (++recordsOpenInSegment[segment] == recordsInSegment(segment)) {
            segments[segment] = null;
        }
        return Outcome.PROGRESS;
    }

    /** Drops the packets of a record that failed to authenticate, so they are requested again. */
    private void forget(int segment, int start, int end) {
        BitSet bits = received[segment];
        for (int p = start / stride; p <= (end - 1) / stride; p++) {
            if (bits.get(p)) {
                bits.clear(p);
                int bytes = (int) Math.min(stride, MessageLayout.segmentProtectedLength(length, (long) segment * MessageLayout.SEGMENT_SIZE, true) - (long) p * stride);
                receivedBytes -= bytes;
                if (!authenticated()) {
                    unauthenticatedBytes -= bytes;
                }
            }
        }
    }

    private boolean allReceived(int segment, int start, int end) {
        BitSet bits = received[segment];
        int first = start / stride;
        int last = (end - 1) / stride;
        return bits.nextClearBit(first) > last;
    }

    private boolean segmentDone(int segment) {
        return encrypted && recordsOpenInSegment[segment] == recordsInSegment(segment);
    }

    private int recordsInSegment(int segment) {
        int plain = MessageLayout.segmentPlaintextLength(length, (long) segment * MessageLayout.SEGMENT_SIZE);
        return plain == 0 ? 1 : (plain + MessageLayout.MAX_RECORD_PLAINTEXT - 1) / MessageLayout.MAX_RECORD_PLAINTEXT;
    }

    /**
     * The first range of protected bytes below {@code upTo} not received, as {offset, length}, or
     * null when everything below it is here.
     */
    long[] firstMissing(long upTo) {
        long segmentStart = 0;
        for (int s = 0; s < segmentCount && segmentStart < upTo; s++) {
            int segmentLength = MessageLayout.segmentProtectedLength(length, (long) s * MessageLayout.SEGMENT_SIZE, encrypted);
            if (!segmentDone(s)) {
                int packets = (segmentLength + stride - 1) / stride;
                BitSet bits = received[s];
                int missing = bits == null ? 0 : bits.nextClearBit(0);
                if (missing < packets) {
                    int present = bits == null ? packets : bits.nextSetBit(missing);
                    int endPacket = present < 0 || present > packets ? packets : present;
                    long from = segmentStart + (long) missing * stride;
                    long to = Math.min(segmentStart + Math.min((long) endPacket * stride, segmentLength), upTo);
                    if (from < upTo) {
                        return new long[] {from, to - from};
                    }
                    return null;
                }
            }
            segmentStart += segmentLength;
        }
        return null;
    }
}
