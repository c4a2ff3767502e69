package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.DataHeader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A message being sent, alone: grants, the retransmission queue, restarts (plaintext mode: one packet per stride bytes). */
class OutgoingMessageTest {
    private static final int STRIDE = Mechanisms.STRIDE;
    private static final int PACKETS = 10;

    private final TransportStats stats = new TransportStats();
    private final ByteBuffer out = ByteBuffer.allocate(70_000);
    private final DataHeader header = new DataHeader();

    private OutgoingMessage message(long unscheduled) {
        return OutgoingMessage.start(2, ByteBuffer.allocate(PACKETS * STRIDE), null, STRIDE, unscheduled, false);
    }

    /** Sends what the message lets go now; returns the packet indexes, negative for retransmissions. */
    private List<Integer> sendAll(OutgoingMessage m) {
        List<Integer> sent = new ArrayList<>();
        for (int i = 0; i < 100 && m.hasSendable(); i++) {
            assertTrue(m.writeNext(out.clear(), header, Long.MAX_VALUE, stats));
            DataHeader h = new DataHeader();
            assertTrue(h.decode(out.flip()));
            boolean retransmit = (h.flags & CommonHeader.FLAG_RETRANSMIT) != 0;
            sent.add(retransmit ? -h.packetIndex : h.packetIndex);
        }
        return sent;
    }

    @Test
    void sendsWithinTheGrantAndAlwaysTheFirstPacket() {
        OutgoingMessage m = message(0);
        assertEquals(List.of(0), sendAll(m), "the first packet goes even with nothing unscheduled");
        assertTrue(m.blockedOnGrant());
        m.grant(3 * STRIDE);
        assertEquals(List.of(1, 2), sendAll(m));
        m.grant(Long.MAX_VALUE);
        assertEquals(List.of(3, 4, 5, 6, 7, 8, 9), sendAll(m));
        assertTrue(m.fullySent());
        assertEquals(0, m.remaining());
    }

    @Test
    void retransmitsEachRequestedPacketOnceLowestFirstAndNeverUnsentOnes() {
        OutgoingMessage m = message(5 * STRIDE);
        sendAll(m);
        m.requestRetransmit(3L * STRIDE, 2L * STRIDE, 100);
        m.requestRetransmit(STRIDE, 3L * STRIDE, 100);
        m.requestRetransmit(4L * STRIDE, 10L * STRIDE, 100);
        assertEquals(List.of(-1, -2, -3, -4), sendAll(m), "packets 1..4 once each; 5..9 were never sent");
        assertEquals(4, stats.get(TransportStats.Counter.DATA_RETRANSMITTED));
    }

    @Test
    void aRequestQueuesAtMostItsPacketBudget() {
        OutgoingMessage m = message(Long.MAX_VALUE);
        sendAll(m);
        m.requestRetransmit(0, PACKETS * STRIDE, 3);
        assertEquals(List.of(0, -1, -2), sendAll(m), "packet 0 (-0) and the next two, not all ten");
    }

    @Test
    void restartSendsTheWholeMessageAgainAndLastSentPromptsTheReceiver() {
        OutgoingMessage m = message(Long.MAX_VALUE);
        sendAll(m);
        m.retransmitLastSent();
        assertEquals(List.of(-9), sendAll(m));
        m.restart();
        assertEquals(List.of(0, -1, -2, -3, -4, -5, -6, -7, -8, -9), sendAll(m));
        assertFalse(m.hasSendable());
    }
}
