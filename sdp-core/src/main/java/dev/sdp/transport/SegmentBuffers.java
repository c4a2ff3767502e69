// Design notes: a message moves through memory one 64 KiB segment at a time (docs/PROTOCOL.md §3):
// each full segment's protected bytes on the way out and in, and its plaintext on the way in, live
// in a buffer of their own until the message is done. Allocating those afresh for every message
// made a bulk transfer allocate four times what it moved, and the garbage collector's pauses
// (tens of milliseconds on two cores) set the pace. Full-segment buffers are recycled here instead,
// process-wide (sealing and opening run on several threads), up to a cap, so memory held for reuse
// stays bounded; partial segments and anything handed to the application are never recycled.
//
// A buffer is returned only by the code path that knows no other thread can still touch it: an
// outgoing message's segments once it was delivered in full, an incoming segment's protected bytes
// once all its records opened and settled, an incoming message's plaintext segments once they were
// copied into the payload. A message dropped half way leaves its buffers to the garbage collector,
// since a record worker may still be writing into them. Reused bytes are never read before they are
// written again: every reader stays within the bytes its own message wrote.
package dev.sdp.transport;

import dev.sdp.wire.MessageLayout;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Recycled buffers for full message segments: protected bytes or plaintext (with its spare byte). */
final class SegmentBuffers {
    /** The largest full segment: its protected bytes (records' headers and tags included). */
    static final int SIZE = MessageLayout.SEGMENT_SIZE + MessageLayout.RECORDS_PER_SEGMENT * MessageLayout.RECORD_OVERHEAD;
    /** At most this many idle buffers are kept: 16 MiB. */
    private static final int MAX_IDLE = 256;

    private static final ConcurrentLinkedQueue<byte[]> IDLE = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger IDLE_COUNT = new AtomicInteger();

    private SegmentBuffers() {
    }

    /** A buffer for {@code length} bytes: a recycled full-segment buffer when it fits one, else a new exact one. */
    static byte[] take(int length) {
        if (length > SIZE || length < SIZE / 2) {
            return new byte[length];
        }
        byte[] recycled = IDLE.poll();
        if (recycled == null) {
            return new byte[SIZE];
        }
        IDLE_COUNT.decrementAndGet();
        return recycled;
    }

    /** Gives back a buffer no thread will touch again; kept if it is a full-segment buffer and there is room. */
    static void give(byte[] buffer) {
        if (buffer != null && buffer.length == SIZE && IDLE_COUNT.incrementAndGet() <= MAX_IDLE) {
            IDLE.add(buffer);
        } else if (buffer != null && buffer.length == SIZE) {
            IDLE_COUNT.decrementAndGet();
        }
    }
}
