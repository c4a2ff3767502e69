package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** A message being received, alone (plaintext mode): placing packets, duplicates, what is missing. */
class IncomingMessageTest {
    private static final int STRIDE = Mechanisms.STRIDE;
    private static final int LENGTH = 10 * STRIDE - 100;

    private final IncomingMessage message = new IncomingMessage(Mechanisms.dataHeader(2, LENGTH, 0, 0, LENGTH),
            Mechanisms.peer(1), new ReceiveBudget(TransportConfig.defaults()), 0);

    private IncomingMessage.Outcome place(int index) {
        int bytes = Math.min(STRIDE, LENGTH - index * STRIDE);
        ByteBuffer payload = ByteBuffer.allocate(bytes);
        for (int i = 0; i < bytes; i++) {
            payload.put(i, (byte) (index * STRIDE + i));
        }
        return message.accept(Mechanisms.dataHeader(2, LENGTH, 0, index, LENGTH), payload, null, null, null, index);
    }

    @Test
    void firstMissingNamesTheFirstGapUpToTheLimit() {
        for (int index : new int[] {0, 1, 4, 5, 9}) {
            assertEquals(IncomingMessage.Outcome.PROGRESS, place(index));
        }
        assertArrayEquals(new long[] {2L * STRIDE, 2L * STRIDE}, message.firstMissing(LENGTH), "packets 2 and 3");
        assertArrayEquals(new long[] {2L * STRIDE, 100}, message.firstMissing(2L * STRIDE + 100), "cut at the limit");
        assertNull(message.firstMissing(2L * STRIDE), "nothing missing below the limit");
        place(2);
        place(3);
        assertArrayEquals(new long[] {6L * STRIDE, 3L * STRIDE}, message.firstMissing(LENGTH));
    }

    @Test
    void duplicatesAndInconsistentPacketsChangeNothing() {
        place(0);
        assertEquals(IncomingMessage.Outcome.DUPLICATE, place(0));
        assertEquals(STRIDE, message.receivedBytes);
        ByteBuffer wrongSize = ByteBuffer.allocate(STRIDE - 1);
        assertEquals(IncomingMessage.Outcome.INCONSISTENT,
                message.accept(Mechanisms.dataHeader(2, LENGTH, 0, 1, LENGTH), wrongSize, null, null, null, 0));
        assertEquals(STRIDE, message.receivedBytes);
    }

    @Test
    void completesWithTheBytesInPlace() {
        for (int index = 9; index >= 0; index--) {
            assertEquals(index == 0 ? IncomingMessage.Outcome.COMPLETE : IncomingMessage.Outcome.PROGRESS, place(index));
        }
        ByteBuffer payload = message.takePayload();
        assertEquals(LENGTH, payload.remaining());
        for (int i = 0; i < LENGTH; i++) {
            assertEquals((byte) i, payload.get(i));
        }
        assertNull(message.firstMissing(LENGTH));
    }
}
