package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.transport.TimerTable.Timer;
import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.PacketType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Batched ACKs alone: runs of consecutive RPC IDs, the flush timer, the per-peer cap. */
class AckBatcherTest {
    private static final long DELAY = 1_000_000;

    private final ControlQueue control = Mechanisms.controlQueue(new TransportStats());
    private final TimerTable timers = new TimerTable();
    private final AckBatcher acks = new AckBatcher(control, timers, DELAY);
    private final Peer peer = Mechanisms.peer(1);

    /** The sent ACKs as (first RPC ID, run length) pairs. */
    private List<List<Long>> sentRuns() {
        List<ControlHeader> packets = Mechanisms.drain(control);
        packets.forEach(p -> assertEquals(PacketType.ACK, p.type()));
        return packets.stream().map(p -> List.of(p.messageId >>> 1, p.length)).toList();
    }

    @Test
    void waitsForTheTimerThenSendsOneAckPerRun() {
        for (long id : new long[] {7, 3, 4, 5, 9, 8}) {
            acks.defer(peer, id, 100);
        }
        assertTrue(sentRuns().isEmpty(), "nothing goes out before the timer");
        assertEquals(100 + DELAY, timers.next(), "the first pending ACK sets the deadline");
        acks.flush();
        assertEquals(List.of(List.of(3L, 3L), List.of(7L, 3L)), sentRuns());
        assertFalse(timers.isSet(Timer.ACK_FLUSH));
    }

    @Test
    void aFullBatchGoesOutAtOnce() {
        for (long id = 1; id <= ControlHeader.MAX_ACK_RUN; id++) {
            acks.defer(peer, id, 0);
        }
        assertEquals(List.of(List.of(1L, (long) ControlHeader.MAX_ACK_RUN)), sentRuns());
        acks.defer(peer, 100, 0);
        acks.flush();
        assertEquals(List.of(List.of(100L, 1L)), sentRuns(), "the next batch starts empty");
    }

    @Test
    void aPeerWhoseSessionEndedIsNotAcknowledged() {
        Peer other = Mechanisms.peer(2);
        acks.defer(peer, 1, 0);
        acks.defer(other, 2, 0);
        acks.forget(peer);
        acks.flush();
        assertEquals(List.of(List.of(2L, 1L)), sentRuns());
    }
}
