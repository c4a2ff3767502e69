package dev.sdp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The segment/record geometry of docs/PROTOCOL.md §3. */
class MessageLayoutTest {

    @Test
    void edgeCases() {
        assertEquals(1, MessageLayout.recordCount(0));
        assertEquals(1, MessageLayout.segmentCount(0));
        assertEquals(22, MessageLayout.protectedLength(0, true));
        assertEquals(22, MessageLayout.segmentProtectedLength(0, 0, true));
        assertEquals(1, MessageLayout.recordCount(16384));
        assertEquals(2, MessageLayout.recordCount(16385));
        assertEquals(4, MessageLayout.recordCount(65536));
        assertEquals(65536 + 4 * 22, MessageLayout.segmentProtectedLength(65536, 0, true));
        assertEquals(1 << 16, MessageLayout.recordCount(MessageLayout.MAX_MESSAGE_LENGTH));
        assertEquals(1L << 30, MessageLayout.MAX_MESSAGE_LENGTH);
        assertThrows(IllegalArgumentException.class, () -> MessageLayout.recordCount(MessageLayout.MAX_MESSAGE_LENGTH + 1));
        assertThrows(IllegalArgumentException.class, () -> MessageLayout.recordCount(-1));
        assertEquals(10, MessageLayout.protectedLength(10, false));
    }

    @Property(tries = 500)
    void segmentsTileTheProtectedMessage(@ForAll @LongRange(min = 0, max = 1L << 30) long length) {
        long protectedSum = 0;
        int records = 0;
        for (int s = 0; s < MessageLayout.segmentCount(length); s++) {
            long offset = (long) s * MessageLayout.SEGMENT_SIZE;
            assertEquals(protectedSum, MessageLayout.protectedSegmentStart(offset, true), "segment " + s + " start");
            assertEquals(records, MessageLayout.firstRecordOfSegment(offset));
            protectedSum += MessageLayout.segmentProtectedLength(length, offset, true);
            int plain = MessageLayout.segmentPlaintextLength(length, offset);
            records += plain == 0 ? 1 : (plain + MessageLayout.MAX_RECORD_PLAINTEXT - 1) / MessageLayout.MAX_RECORD_PLAINTEXT;
        }
        assertEquals(MessageLayout.protectedLength(length, true), protectedSum);
        assertEquals(MessageLayout.recordCount(length), records);
        long plainSum = 0;
        for (int r = 0; r < records; r++) {
            plainSum += MessageLayout.recordPlaintextLength(length, r);
        }
        assertEquals(length, plainSum);
    }
}
