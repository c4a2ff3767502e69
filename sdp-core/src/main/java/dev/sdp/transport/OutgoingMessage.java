package dev.sdp.transport;

import dev.sdp.crypto.RecordCrypter;
import dev.sdp.crypto.SendProtection;
import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.DataHeader;
import dev.sdp.wire.MessageLayout;
import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * A message being sent: its protected bytes and how far they have been sealed, sent and granted.
 * Records are sealed once, segment by segment, each segment into a buffer of its own allocated by
 * the sealing thread (plaintext mode copies instead of sealing), while the engine already sends the
 * segments sealed before (so sealing a large message overlaps with its transmission and the
 * receiver's opening); retransmissions send the same bytes again. The first segment is sealed by the
 * thread that starts the message, the rest by one other thread (a record worker); everything else
 * runs on the engine's thread. {@link #sealedSegments} is the hand-over point: a segment's bytes are
 * complete before it counts it. So a large message costs the thread that starts it one segment,
 * neither the time to seal nor to allocate the rest.
 */
final class OutgoingMessage {
    final long messageId;
    final long length;
    final boolean encrypted;
    /** An error response: its last record says so (plaintext mode: every packet's header). */
    private final boolean error;
    final int wireEpoch;
    private final long protectedLength;
    /** Protected bytes per segment, each written once by the sealing thread before it counts the segment sealed. */
    private final byte[][] segmentBytes;
    private final int stride;
    private final int segments;
    private final int fullSegment;
    private final int packetsPerSegment;
    /**
     * Packets asked for again, by number (segment * packetsPerSegment + index), sent lowest first:
     * a set, so asking twice queues once; allocated on the first retransmission.
     */
    private BitSet retransmits;
    /** Whether any packet went out twice: a round trip timed across it is ambiguous (Karn's rule). */
    private boolean retransmitted;
    /** Packets sent again, for the RPC's JFR event. */
    int retransmittedPackets;
    // Sealing state, touched only by the sealing thread until the message is fully sealed.
    private final SendProtection send;
    private final SendProtection.SendEpoch epoch;
    private ByteBuffer unsealed;
    /** Segments sealed so far; written by the sealing thread after the segment's bytes. */
    private volatile int sealedSegments;
    private boolean retired;
    private int nextSegment;
    private int nextIndex;
    private long sent;
    private long granted;
    long lastGrantNanos;

    private OutgoingMessage(long messageId, long length, ByteBuffer payload, SendProtection send, int stride, long unscheduled,
                            boolean error) {
        this.messageId = messageId;
        this.error = error;
        this.length = length;
        this.encrypted = send != null;
        this.protectedLength = MessageLayout.protectedLength(length, encrypted);
        this.stride = stride;
        this.segments = MessageLayout.segmentCount(length);
        this.segmentBytes = new byte[segments][];
        this.fullSegment = MessageLayout.SEGMENT_SIZE + (encrypted ? MessageLayout.RECORDS_PER_SEGMENT * MessageLayout.RECORD_OVERHEAD : 0);
        this.packetsPerSegment = (fullSegment + stride - 1) / stride;
        this.granted = Math.min(unscheduled, protectedLength);
        this.send = send;
        this.epoch = encrypted ? send.reserveMessage(MessageLayout.recordCount(length)) : null;
        this.wireEpoch = encrypted ? epoch.keys().wireEpoch() : 0;
        this.unsealed = payload;
    }

    /**
     * Starts a message from {@code payload} (position to limit; consumed as it is sealed, so the
     * caller must not touch it until {@link #sealNextSegment} returns false) and seals its first
     * segment. With {@code send == null} the message goes out in plaintext mode, copied segment by
     * segment instead of sealed. With {@code error}, the message is an error response (docs/PROTOCOL.md §4).
     */
    static OutgoingMessage start(long messageId, ByteBuffer payload, SendProtection send, int stride, long unscheduled, boolean error) {
        OutgoingMessage m = new OutgoingMessage(messageId, payload.remaining(), payload, send, stride, unscheduled, error);
        m.sealNextSegment();
        return m;
    }

    /**
     * The message will never be sent again, so its key epoch no longer waits for it; {@code delivered}
     * when the peer is known to have opened it. Idempotent; engine thread only.
     */
    void retire(boolean delivered) {
        if (!retired && epoch != null) {
            epoch.messageDone(delivered);
        }
        if (!retired && delivered && sealedSegments == segments) {
            // Delivered and sealed in full: no sealer or sender touches the segments again.
            for (int s = 0; s < segments; s++) {
                SegmentBuffers.give(segmentBytes[s]);
                segmentBytes[s] = null;
            }
        }
        retired = true;
    }

    /** Whether every segment is sealed; on the thread that seals. */
    boolean fullySealed() {
        return unsealed == null;
    }

    /**
     * Seals the next segment on the calling thread; returns false when every segment was sealed
     * already. The engine must be told of each segment sealed ({@link Engine#resume}), the last too.
     */
    boolean sealNextSegment() {
        if (unsealed == null) {
            return false;
        }
        int segment = sealedSegments;
        byte[] bytes = SegmentBuffers.take(segmentLength(segment));
        if (encrypted) {
            seal(segment, bytes);
        } else {
            unsealed.get(bytes, 0, segmentLength(segment));
        }
        segmentBytes[segment] = bytes;
        if (segment + 1 == segments) {
            unsealed = null;
        }
        sealedSegments = segment + 1;
        return true;
    }

    private void seal(int segment, byte[] bytes) {
        int records = MessageLayout.recordCount(length);
        int firstRecord = segment * MessageLayout.RECORDS_PER_SEGMENT;
        int segmentEnd = Math.min(records, firstRecord + MessageLayout.RECORDS_PER_SEGMENT);
        RecordCrypter crypter = RecordCrypter.forCurrentThread(epoch.keys().suite());
        ByteBuffer target = ByteBuffer.wrap(bytes);
        int limit = unsealed.limit();
        for (int r = firstRecord; r < segmentEnd; r++) {
            int plain = MessageLayout.recordPlaintextLength(length, r);
            unsealed.limit(unsealed.position() + plain);
            // Bound the output to this record: the JCE's GCM works in proportion to the output space it is given.
            target.limit(target.position() + plain + MessageLayout.RECORD_OVERHEAD);
            if (error && r == records - 1) {
                send.sealFinalErrorRecord(crypter, epoch, messageId, r, unsealed, target);
            } else {
                send.sealRecord(crypter, epoch, messageId, r, r == records - 1, unsealed, target);
            }
        }
        unsealed.limit(limit);
    }

    /**
     * New bytes may go: they are sealed, and within the grant. The first packet always goes, so the
     * receiver learns of the message even with nothing unscheduled.
     */
    private boolean withinGrant() {
        return nextSegment < sealedSegments && (sent < granted || sent == 0);
    }

    private boolean waitingForSealing() {
        return nextSegment >= sealedSegments;
    }

    /** Raises the grant (a GRANT, or a RESEND, which asks for bytes and so allows them). */
    void grant(long offset) {
        granted = Math.max(granted, Math.min(offset, protectedLength));
    }

    /** Protected bytes not yet sent for the first time. */
    long remaining() {
        return protectedLength - sent;
    }

    /** Whether a packet can go out now: a requested retransmission, or new bytes within the grant. */
    boolean hasSendable() {
        return retransmitPending() || (nextSegment < segments && withinGrant());
    }

    /** Whether any packet of the message has been sent more than once. */
    boolean retransmitted() {
        return retransmitted;
    }

    /** True once every packet has been sent at least once. */
    boolean fullySent() {
        return nextSegment >= segments;
    }

    /** True when new data waits for a grant. */
    boolean blockedOnGrant() {
        return !retransmitPending() && nextSegment < segments && !waitingForSealing() && !withinGrant();
    }

    /** Writes the next packet (retransmissions first) at {@code out}'s position and advances it; returns false if none. */
    boolean writeNext(ByteBuffer out, DataHeader header, long unscheduled, TransportStats stats) {
        if (retransmitPending()) {
            int packet = retransmits.nextSetBit(0);
            retransmits.clear(packet);
            retransmitted = true;
            retransmittedPackets++;
            write(packet / packetsPerSegment, packet % packetsPerSegment, true, out, header, unscheduled);
            stats.increment(TransportStats.Counter.DATA_RETRANSMITTED);
            return true;
        }
        if (nextSegment >= segments || !withinGrant()) {
            return false;
        }
        int bytes = write(nextSegment, nextIndex, false, out, header, unscheduled);
        sent += bytes;
        nextIndex++;
        if ((long) nextIndex * stride >= segmentLength(nextSegment)) {
            nextSegment++;
            nextIndex = 0;
        }
        return true;
    }

    /**
     * Queues already-sent packets overlapping protected bytes [offset, offset + count) for
     * retransmission, at most {@code maxPackets} of them; bytes not yet sent once are never
     * retransmitted (they go out in turn). Returns whether any packet was sent before in the range.
     */
    boolean requestRetransmit(long offset, long count, int maxPackets) {
        long end = Math.min(offset + count, sent);
        if (offset >= end) {
            return false;
        }
        int segment = (int) Math.min(offset / fullSegment, segments - 1);
        long segmentStart = (long) segment * fullSegment;
        int index = (int) Math.max(0, (offset - segmentStart) / stride);
        for (int queued = 0; queued < maxPackets && segment < segments; queued++) {
            long start = segmentStart + (long) index * stride;
            if (start >= end) {
                return true;
            }
            if (retransmits == null) {
                retransmits = new BitSet();
            }
            retransmits.set(segment * packetsPerSegment + index);
            index++;
            if ((long) index * stride >= segmentLength(segment)) {
                segment++;
                segmentStart += fullSegment;
                index = 0;
            }
        }
        return true;
    }

    /** Queues the last packet sent, to prompt a receiver that may have lost everything so far. */
    void retransmitLastSent() {
        if (sent > 0) {
            requestRetransmit(sent - 1, 1, 1);
        }
    }

    /** Makes the whole message go out again from the start (the peer lost all of it). */
    void restart() {
        if (retransmits != null) {
            retransmits.clear();
        }
        requestRetransmit(0, sent, Integer.MAX_VALUE);
    }

    private boolean retransmitPending() {
        return retransmits != null && !retransmits.isEmpty();
    }

    private int segmentLength(int segment) {
        return MessageLayout.segmentProtectedLength(length, (long) segment * MessageLayout.SEGMENT_SIZE, encrypted);
    }

    private int write(int segment, int index, boolean retransmit, ByteBuffer out, DataHeader header, long unscheduled) {
        long segmentOffset = (long) segment * MessageLayout.SEGMENT_SIZE;
        int start = index * stride;
        int bytes = (int) Math.min(stride, segmentLength(segment) - (long) index * stride);
        header.flags = (retransmit ? CommonHeader.FLAG_RETRANSMIT : 0)
                | (encrypted ? 0 : CommonHeader.FLAG_PLAINTEXT | (error ? CommonHeader.FLAG_ERROR : 0));
        header.epoch = wireEpoch;
        header.messageId = messageId;
        header.messageLength = length;
        header.segmentOffset = segmentOffset;
        header.packetIndex = index;
        header.stride = stride;
        header.unscheduled = Math.min(unscheduled, protectedLength);
        header.encode(out);
        out.position(out.position() + DataHeader.LENGTH);
        out.put(segmentBytes[segment], start, bytes);
        return bytes;
    }
}
