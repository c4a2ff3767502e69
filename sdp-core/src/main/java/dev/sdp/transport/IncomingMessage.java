package dev.sdp.transport;

import dev.sdp.crypto.ReceiveProtection;
import dev.sdp.crypto.RecordCrypter;
import dev.sdp.crypto.RecordStatus;
import dev.sdp.wire.DataHeader;
import dev.sdp.wire.MessageLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A message being received: packets are placed by (segment offset, packet index), each record is
 * opened as soon as all its bytes are present, and the message is complete when every record has
 * authenticated, the last with the final marker (docs/PROTOCOL.md §3, §4, §10).
 *
 * <p>Memory is charged to the {@link ReceiveBudget} before it is allocated, for what is allocated,
 * never for the length a header declares (§12): until its first record authenticates, a message
 * holds only the packets of that record (later packets are {@link Outcome#NOT_YET} and asked for
 * again), charged as unauthenticated; after that, each segment's protected bytes and plaintext are
 * allocated when its first packet arrives, charged as reassembly, and the protected bytes are
 * returned once the segment's records are open. Plaintext mode charges each segment's plaintext as
 * reassembly when it begins. A packet the budget cannot hold is {@link Outcome#NO_MEMORY}: dropped,
 * to be asked for again.
 *
 * <p>A message {@linkplain #offloadTo offloaded} to a {@link RecordOpener} opens its records after
 * the first on the opener's workers: a complete record is queued instead of opened, and its outcome
 * comes back through {@link #settle} on the engine's thread, with the same effect as opening it
 * inline. The worker that opens the last record also assembles the payload, so neither opening nor
 * copying a large message holds up the engine's thread.
 */
final class IncomingMessage {
    /** What a packet did to the message. */
    enum Outcome { PROGRESS, DUPLICATE, INCONSISTENT, COMPLETE, DISCARD, NOT_YET, NO_MEMORY }

    private static final int MIN_TAG_FAILURES_TO_DISCARD = 16;
    private static final int MIN_INCONSISTENT_TO_DISCARD = 4;
    private static final int FULL_RECORD = MessageLayout.MAX_RECORD_PLAINTEXT + MessageLayout.RECORD_OVERHEAD;

    final long messageId;
    final long length;
    final int stride;
    final int wireEpoch;
    final boolean encrypted;
    final long protectedLength;
    private final Peer peer;
    private final ReceiveBudget budget;
    private final int segmentCount;
    // Per segment; until the message authenticates (plaintext mode: until its bookkeeping is charged)
    // only segment 0 exists, so a forged header declaring a huge length costs no bookkeeping either.
    /** Protected bytes per segment (encrypted mode), until the segment's records are open. */
    private byte[][] segments;
    /** Plaintext per segment, one spare byte at the end: opening writes the inner content type there. */
    private byte[][] plain;
    private BitSet[] received;
    private int[] recordsOpenInSegment;
    private final BitSet opened;
    private final int records;
    /** Bytes of segment 0 buffered before authentication: whole packets up to the end of record 0. */
    private final int firstRecordEnd;
    private boolean authenticated;
    /** An error response: its last record said so (plaintext mode: its header). */
    private boolean error;
    /** Whether the bookkeeping of the message is in its charge yet (it goes with the first buffer). */
    private boolean bookkept;
    private int recordsOpened;
    /** Where records after the first are opened, or null to open them inline. */
    private RecordOpener.Job job;
    /** Records queued to the job and not yet settled. */
    private BitSet queued;
    /** The payload the job assembled, once every record is open. */
    private ByteBuffer assembled;
    private int tagFailures;
    private int inconsistent;
    private int consistent;
    private long unauthenticatedHeld;
    private long reassemblyHeld;
    long receivedBytes;
    long granted;
    /** This message's bytes granted and not yet received, as the {@link GrantScheduler} last counted them. */
    long outstandingCounted;
    long lastProgressNanos;

    IncomingMessage(DataHeader first, Peer peer, ReceiveBudget budget, long now) {
        this.messageId = first.messageId;
        this.length = first.messageLength;
        this.stride = first.stride;
        this.wireEpoch = first.epoch;
        this.encrypted = (first.flags & DataHeader.FLAG_PLAINTEXT) == 0;
        this.peer = peer;
        this.budget = budget;
        this.protectedLength = MessageLayout.protectedLength(length, encrypted);
        this.segmentCount = MessageLayout.segmentCount(length);
        this.segments = new byte[1][];
        this.plain = new byte[1][];
        this.received = new BitSet[1];
        this.recordsOpenInSegment = new int[1];
        this.records = MessageLayout.recordCount(length);
        this.opened = new BitSet();
        int firstRecord = MessageLayout.recordPlaintextLength(length, 0) + MessageLayout.RECORD_OVERHEAD;
        this.firstRecordEnd = Math.min(segmentLength(0), (firstRecord + stride - 1) / stride * stride);
        this.authenticated = !encrypted;
        this.error = !encrypted && (first.flags & DataHeader.FLAG_ERROR) != 0;
        this.granted = Math.min(first.unscheduled, protectedLength);
        this.lastProgressNanos = now;
    }

    /** What the bookkeeping of a message of this length costs, whatever arrives: charged with its first buffer. */
    private static long bookkeepingBytes(long length) {
        return 64L * MessageLayout.segmentCount(length) + MessageLayout.recordCount(length) / 8 + 256;
    }

    /** Bytes charged to the unauthenticated budget if this (first) packet is taken; the caller makes room first. */
    long unauthenticatedChargeFor(DataHeader h) {
        return authenticated || segments[0] != null || h.segmentOffset != 0 || (long) h.packetIndex * stride >= firstRecordEnd
                ? 0 : firstRecordEnd + bookkeepingBytes(length);
    }

    boolean authenticated() {
        return authenticated;
    }

    /**
     * Opens every record after the first through {@code job} instead of inline; for encrypted
     * messages of more than one segment, before their first packet is placed.
     */
    void offloadTo(RecordOpener.Job job) {
        this.job = job;
        this.queued = new BitSet();
    }

    /** Whether the complete message is an error response (its payload is the error text). */
    boolean isError() {
        return error;
    }

    /** Whether the message holds nothing yet: no packet of it was taken. */
    boolean isEmpty() {
        return unauthenticatedHeld == 0 && reassemblyHeld == 0 && receivedBytes == 0;
    }

    /**
     * The message, once {@link Outcome#COMPLETE}; the plaintext then belongs to the caller, so the
     * message's charge is returned.
     */
    ByteBuffer takePayload() {
        ByteBuffer payload = assembled != null ? assembled : segmentCount == 1 ? ByteBuffer.wrap(plain[0], 0, (int) length) : assemble();
        plain = null;
        releaseMemory();
        return payload;
    }

    /** The plaintext of every segment in one buffer; on the job's worker once its last record is open. */
    ByteBuffer assemble() {
        byte[] whole = new byte[(int) length];
        for (int s = 0; s < segmentCount; s++) {
            System.arraycopy(plain[s], 0, whole, s * MessageLayout.SEGMENT_SIZE, segmentPlaintextLength(s));
            // Copied out, and no record is left to open into it: the buffer can serve another message.
            SegmentBuffers.give(plain[s]);
        }
        return ByteBuffer.wrap(whole);
    }

    /** A segment's plaintext buffer: recycled when the message has several (they are copied into the payload), exact when it is the payload. */
    private byte[] plaintextBuffer(int segment, int bytes) {
        return segmentCount == 1 ? new byte[bytes] : SegmentBuffers.take(bytes);
    }

    /** Returns everything this message has charged (it completed or is dropped); idempotent. */
    void releaseMemory() {
        if (job != null) {
            job.cancel();
        }
        budget.release(peer, false, unauthenticatedHeld);
        budget.release(peer, true, reassemblyHeld);
        unauthenticatedHeld = 0;
        reassemblyHeld = 0;
    }

    /**
     * Places one DATA packet. {@code receive} and {@code crypter} open records (null in plaintext
     * mode); {@code scratch} holds the first record's plaintext until the message has authenticated.
     */
    Outcome accept(DataHeader h, ByteBuffer payload, ReceiveProtection receive, RecordCrypter crypter, ByteBuffer scratch, long now) {
        if (h.messageLength != length || h.stride != stride || h.epoch != wireEpoch
                || ((h.flags & DataHeader.FLAG_PLAINTEXT) == 0) != encrypted
                || (!encrypted && ((h.flags & DataHeader.FLAG_ERROR) != 0) != error)) {
            // When packets disagreeing with the header this message was built from outnumber those that
            // agree, that header was probably the damaged one: start over from the packets that follow.
            return ++inconsistent >= Math.max(MIN_INCONSISTENT_TO_DISCARD, consistent) ? Outcome.DISCARD : Outcome.INCONSISTENT;
        }
        int segment = (int) (h.segmentOffset / MessageLayout.SEGMENT_SIZE);
        int segmentLength = segmentLength(segment);
        long offsetInSegment = (long) h.packetIndex * stride;
        int expected = (int) Math.min(stride, segmentLength - offsetInSegment);
        if (segment >= segmentCount || (offsetInSegment >= segmentLength && segmentLength > 0) || payload.remaining() != expected) {
            return Outcome.INCONSISTENT;
        }
        consistent++;
        if (!encrypted && received.length < segmentCount) {
            if (!charge(true, 0)) {
                return Outcome.NO_MEMORY;
            }
            trackAllSegments();
        }
        if (!authenticated && (segment != 0 || offsetInSegment >= firstRecordEnd)) {
            return Outcome.NOT_YET;
        }
        if (segmentDone(segment) || (received[segment] != null && received[segment].get(h.packetIndex))) {
            return Outcome.DUPLICATE;
        }
        if (!encrypted) {
            if (plain[segment] == null) {
                if (!charge(true, segmentPlaintextLength(segment))) {
                    return Outcome.NO_MEMORY;
                }
                plain[segment] = plaintextBuffer(segment, segmentPlaintextLength(segment));
            }
            payload.get(plain[segment], (int) offsetInSegment, expected);
            markReceived(segment, h.packetIndex, expected, now);
            return receivedBytes == protectedLength ? Outcome.COMPLETE : Outcome.PROGRESS;
        }
        if (segments[segment] == null && !allocate(segment)) {
            return Outcome.NO_MEMORY;
        }
        payload.get(segments[segment], (int) offsetInSegment, expected);
        markReceived(segment, h.packetIndex, expected, now);
        return openCompleteRecords(segment, (int) offsetInSegment, (int) offsetInSegment + expected, receive, crypter, scratch);
    }

    /** Charges and allocates the buffers of a segment's first packet; false when the budget has no room. */
    private boolean allocate(int segment) {
        if (!authenticated) {
            if (!charge(false, firstRecordEnd)) {
                return false;
            }
            segments[0] = new byte[firstRecordEnd];
            return true;
        }
        if (!charge(true, segmentLength(segment) + segmentPlaintextLength(segment) + 1)) {
            return false;
        }
        segments[segment] = SegmentBuffers.take(segmentLength(segment));
        plain[segment] = plaintextBuffer(segment, segmentPlaintextLength(segment) + 1);
        return true;
    }

    private boolean charge(boolean reassembly, long bytes) {
        long total = bytes + (bookkept ? 0 : bookkeepingBytes(length));
        if (!budget.tryCharge(peer, reassembly, total)) {
            return false;
        }
        bookkept = true;
        if (reassembly) {
            reassemblyHeld += total;
        } else {
            unauthenticatedHeld += total;
        }
        return true;
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
        for (int k = Math.max(0, from / FULL_RECORD - 1); k < recordsHere; k++) {
            int record = firstRecord + k;
            int start = k * FULL_RECORD;
            if (start >= to) {
                break;
            }
            int end = start + MessageLayout.recordPlaintextLength(length, record) + MessageLayout.RECORD_OVERHEAD;
            if (end <= from || opened.get(record) || (queued != null && queued.get(record)) || !allReceived(segment, start, end)) {
                continue;
            }
            if (authenticated && job != null) {
                queued.set(record);
                job.add(new RecordOpener.Work(job, segment, k, record, start, end, segments[segment], plain[segment]));
                continue;
            }
            Outcome outcome = openRecord(segment, k, record, start, end, receive, crypter, scratch);
            if (outcome != Outcome.PROGRESS) {
                return outcome;
            }
        }
        return recordsOpened == records ? Outcome.COMPLETE : Outcome.PROGRESS;
    }

    private Outcome openRecord(int segment, int k, int record, int start, int end, ReceiveProtection receive, RecordCrypter crypter,
                               ByteBuffer scratch) {
        ByteBuffer sealed = ByteBuffer.wrap(segments[segment], start, end - start);
        int plainLength = end - start - MessageLayout.RECORD_OVERHEAD;
        int plainOffset = k * MessageLayout.MAX_RECORD_PLAINTEXT;
        boolean last = record == records - 1;
        RecordStatus status = authenticated
                ? openInto(receive, crypter, record, last, sealed, plain[segment], plainOffset, plainLength)
                : receive.openRecord(crypter, wireEpoch, messageId, record, last, sealed, scratch.clear());
        Outcome failed = failure(status, segment, start, end);
        if (failed != null) {
            return failed;
        }
        error |= last && crypter.openedFinalError();
        if (!authenticated && !becomeAuthenticated(scratch, plainOffset, plainLength)) {
            forget(segment, start, end);
            return Outcome.NO_MEMORY;
        }
        recordOpened(segment, record);
        return Outcome.PROGRESS;
    }

    /**
     * Opens a record into its place in a segment's plaintext. Opening writes the inner content type
     * right after the record's plaintext, where the next record's first byte lives and may already be
     * in place: keep it.
     */
    private RecordStatus openInto(ReceiveProtection receive, RecordCrypter crypter, int record, boolean last, ByteBuffer sealed,
                                  byte[] target, int plainOffset, int plainLength) {
        byte kept = target[plainOffset + plainLength];
        RecordStatus status = receive.openRecord(crypter, wireEpoch, messageId, record, last, sealed,
                ByteBuffer.wrap(target, plainOffset, plainLength + 1));
        target[plainOffset + plainLength] = kept;
        return status;
    }

    /**
     * What a record that did not open does to the message, or null if it opened. Forged or damaged
     * bytes (a BAD_LENGTH header is checked before the tag, so it proves nothing either): drop the
     * record's packets, so the genuine ones are asked for again. A message placed wrongly (a damaged
     * first header) fails nearly every record: start over only when failures outnumber the records
     * that opened.
     */
    private Outcome failure(RecordStatus status, int segment, int start, int end) {
        if (status == RecordStatus.BAD_TAG || status == RecordStatus.BAD_LENGTH) {
            forget(segment, start, end);
            return ++tagFailures > Math.max(MIN_TAG_FAILURES_TO_DISCARD, recordsOpened) ? Outcome.DISCARD : Outcome.PROGRESS;
        }
        return status == RecordStatus.OK ? null : Outcome.DISCARD;
    }

    private void recordOpened(int segment, int record) {
        opened.set(record);
        recordsOpened++;
        if (++recordsOpenInSegment[segment] == recordsInSegment(segment)) {
            budget.release(peer, true, segmentLength(segment));
            reassemblyHeld -= segmentLength(segment);
            // Every record of the segment opened and settled: no worker holds its bytes any more.
            SegmentBuffers.give(segments[segment]);
            segments[segment] = null;
        }
    }

    /** Opens a queued record; on the job's worker, touching only the record's own bytes. */
    void openOffThread(RecordOpener.Work work) {
        RecordCrypter crypter = RecordCrypter.forCurrentThread(peer.suite);
        boolean last = work.record == records - 1;
        int plainLength = work.end - work.start - MessageLayout.RECORD_OVERHEAD;
        work.status = openInto(peer.receive, crypter, work.record, last, ByteBuffer.wrap(work.sealed, work.start, work.end - work.start),
                work.plain, work.indexInSegment * MessageLayout.MAX_RECORD_PLAINTEXT, plainLength);
        work.finalError = last && work.status == RecordStatus.OK && crypter.openedFinalError();
    }

    /** Records the job opens: all but the first, which authenticates the message inline. */
    int recordsLeftToWorker() {
        return records - 1;
    }

    /** Applies the outcome of a queued record on the engine's thread, as if it had been opened inline. */
    Outcome settle(RecordOpener.Work work) {
        queued.clear(work.record);
        Outcome failed = failure(work.status, work.segment, work.start, work.end);
        if (failed != null) {
            return failed;
        }
        error |= work.finalError;
        recordOpened(work.segment, work.record);
        if (work.payload != null) {
            assembled = work.payload;
        }
        return recordsOpened == records ? Outcome.COMPLETE : Outcome.PROGRESS;
    }

    /** A first record opened (record 0, or a later one of segment 0): the message moves to the reassembly budget and gets its segment 0 buffers in full. */
    private boolean becomeAuthenticated(ByteBuffer scratch, int plainOffset, int plainLength) {
        bookkept = false;
        if (!charge(true, segmentLength(0) + segmentPlaintextLength(0) + 1)) {
            bookkept = true;
            return false;
        }
        budget.release(peer, false, unauthenticatedHeld);
        unauthenticatedHeld = 0;
        trackAllSegments();
        if (segments[0].length < segmentLength(0)) {
            byte[] whole = SegmentBuffers.take(segmentLength(0));
            System.arraycopy(segments[0], 0, whole, 0, segments[0].length);
            segments[0] = whole;
        }
        plain[0] = plaintextBuffer(0, segmentPlaintextLength(0) + 1);
        // The record that authenticated is not always record 0: a short last record can sit wholly in
        // record 0's last packet and, packets reordered, complete first. Its plaintext goes to its place.
        scratch.flip().get(plain[0], plainOffset, plainLength);
        authenticated = true;
        return true;
    }

    /** Grows the per-segment bookkeeping from segment 0 alone to every segment, once it is charged. */
    private void trackAllSegments() {
        if (received.length < segmentCount) {
            segments = Arrays.copyOf(segments, segmentCount);
            plain = Arrays.copyOf(plain, segmentCount);
            received = Arrays.copyOf(received, segmentCount);
            recordsOpenInSegment = Arrays.copyOf(recordsOpenInSegment, segmentCount);
        }
    }

    /** Drops the packets of a record that failed to authenticate or could not be kept, so they are requested again. */
    private void forget(int segment, int start, int end) {
        BitSet bits = received[segment];
        for (int p = start / stride; p <= (end - 1) / stride; p++) {
            if (bits.get(p)) {
                bits.clear(p);
                receivedBytes -= Math.min(stride, segmentLength(segment) - (long) p * stride);
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
        int plainBytes = segmentPlaintextLength(segment);
        return plainBytes == 0 ? 1 : (plainBytes + MessageLayout.MAX_RECORD_PLAINTEXT - 1) / MessageLayout.MAX_RECORD_PLAINTEXT;
    }

    private int segmentLength(int segment) {
        return MessageLayout.segmentProtectedLength(length, (long) segment * MessageLayout.SEGMENT_SIZE, encrypted);
    }

    private int segmentPlaintextLength(int segment) {
        return MessageLayout.segmentPlaintextLength(length, (long) segment * MessageLayout.SEGMENT_SIZE);
    }

    /** The protected bytes a message holds before authentication: up to the end of its first record's packets. */
    long firstRecordEnd() {
        return firstRecordEnd;
    }

    /**
     * The first range of protected bytes below {@code upTo} not received, as {offset, length}, or
     * null when everything below it is here.
     */
    long[] firstMissing(long upTo) {
        if (!authenticated) {
            upTo = Math.min(upTo, firstRecordEnd);
        }
        long segmentStart = 0;
        for (int s = 0; s < segmentCount && segmentStart < upTo; s++) {
            int segmentLength = segmentLength(s);
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
