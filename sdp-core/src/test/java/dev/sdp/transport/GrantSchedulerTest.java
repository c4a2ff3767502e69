package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.PacketType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Receiver-side SRPT grants alone: overcommit, shortest first, a freed slot re-granted at once. */
class GrantSchedulerTest {
    private static final int WINDOW = 64 * 1024;
    private static final int UNSCHEDULED = 10_000;

    private final ControlQueue control = Mechanisms.controlQueue(new TransportStats());
    private final TransportConfig config = TransportConfig.builder().overcommit(2).grantWindow(WINDOW).build();
    private final GrantScheduler grants = new GrantScheduler(control, new ReceiveBudget(config), config);
    private final Peer peer = Mechanisms.peer(1);

    private List<ControlHeader> sent() {
        List<ControlHeader> packets = Mechanisms.drain(control);
        packets.forEach(p -> assertEquals(PacketType.GRANT, p.type()));
        return packets;
    }

    @Test
    void grantsOnlyTheShortestMessagesUpToTheOvercommit() {
        Rpc medium = Mechanisms.receiving(peer, 1, 500_000, UNSCHEDULED);
        Rpc large = Mechanisms.receiving(peer, 2, 900_000, UNSCHEDULED);
        Rpc small = Mechanisms.receiving(peer, 3, 200_000, UNSCHEDULED);
        grants.check(medium);
        grants.check(large);
        List<ControlHeader> first = sent();
        assertEquals(2, first.size(), "two slots, two messages");
        grants.check(small);
        List<ControlHeader> second = sent();
        assertEquals(1, second.size());
        assertEquals(small.incoming.messageId, second.get(0).messageId, "the shortest takes a slot");
        assertEquals(WINDOW, second.get(0).offset, "granted up to received plus the window");
        medium.incoming.receivedBytes = WINDOW;
        grants.check(medium);
        assertEquals(List.of(medium.incoming.messageId), sent().stream().map(h -> h.messageId).toList(),
                "the medium one holds a slot and is granted further");
        large.incoming.receivedBytes = WINDOW;
        grants.check(large);
        assertTrue(sent().isEmpty(), "the largest made progress but holds no slot");
    }

    /** A GRANT per packet would double the packets a receiver handles: the grant moves by an eighth of the window. */
    @Test
    void moreDataMovesTheGrantOnlyInSteps() {
        int step = WINDOW / 8;
        Rpc rpc = Mechanisms.receiving(peer, 1, 1_000_000, UNSCHEDULED);
        grants.check(rpc);
        assertEquals(1, sent().size());
        rpc.incoming.receivedBytes += step - 1;
        grants.check(rpc);
        assertTrue(sent().isEmpty(), "less than a step more is not worth a GRANT");
        rpc.incoming.receivedBytes += 1;
        grants.check(rpc);
        List<ControlHeader> packets = sent();
        assertEquals(1, packets.size());
        assertEquals(WINDOW + step, packets.get(0).offset);
    }

    /** Three messages of 300, 400 and 500 KB, checked in that order; their first GRANTs already taken. */
    private Rpc[] threeGranted() {
        Rpc[] rpcs = new Rpc[3];
        for (int i = 0; i < 3; i++) {
            rpcs[i] = Mechanisms.receiving(peer, i + 1, 300_000 + 100_000 * i, UNSCHEDULED);
            grants.check(rpcs[i]);
        }
        sent();
        return rpcs;
    }

    @Test
    void aFreedSlotIsGrantedWithoutWaitingForAPacket() {
        Rpc[] rpcs = threeGranted();
        Rpc a = rpcs[0];
        Rpc b = rpcs[1];
        Rpc c = rpcs[2];
        assertEquals(UNSCHEDULED, c.incoming.granted, "c waits: a and b are shorter");
        // a timed out, was abandoned or its peer went away: it ends the one way RPCs end.
        TransportStats stats = new TransportStats();
        new RpcLifecycle<Object>(stats, grants, new SendQueue(stats, 0), new AckBatcher(control, new TimerTable(), 1)).close(a, false);
        List<ControlHeader> packets = sent();
        assertEquals(1, packets.size());
        assertEquals(c.incoming.messageId, packets.get(0).messageId);
    }

    @Test
    void withdrawingManyGrantsOnceAfterwards() {
        Rpc[] rpcs = threeGranted();
        Rpc a = rpcs[0];
        Rpc b = rpcs[1];
        Rpc c = rpcs[2];
        grants.withdraw(a);
        grants.withdraw(b);
        assertTrue(sent().isEmpty(), "withdrawing alone grants nothing");
        grants.schedule();
        assertEquals(List.of(c.incoming.messageId), sent().stream().map(h -> h.messageId).toList());
    }

    @Test
    void aFullyGrantedMessageGivesUpItsSlot() {
        Rpc shortOne = Mechanisms.receiving(peer, 1, 30_000, UNSCHEDULED);
        Rpc waiting = Mechanisms.receiving(peer, 2, 800_000, UNSCHEDULED);
        Rpc other = Mechanisms.receiving(peer, 3, 700_000, UNSCHEDULED);
        grants.check(shortOne);
        assertEquals(30_000, shortOne.incoming.granted, "granted to its end");
        assertEquals(0, grants.candidates(), "and no longer a candidate");
        grants.check(waiting);
        grants.check(other);
        assertEquals(3, sent().size(), "both long messages are granted: the short one holds no slot");
    }

    /**
     * Flow control: with room for 100 KB in the socket, grants across messages never leave more than
     * that in flight; bytes arriving, and a message ending, make room for more.
     */
    @Test
    void grantedBytesInFlightStayWithinTheReceiveBuffer() {
        grants.limitOutstanding(100_000);
        Rpc a = Mechanisms.receiving(peer, 1, 500_000, UNSCHEDULED);
        Rpc b = Mechanisms.receiving(peer, 2, 600_000, UNSCHEDULED);
        grants.check(a);
        grants.check(b);
        sent();
        assertEquals(100_000, grants.outstanding(), "a takes a window, b what is left");
        assertEquals(WINDOW, a.incoming.granted);
        assertEquals(100_000 - WINDOW, b.incoming.granted, "b's unscheduled bytes count as in flight");
        a.incoming.receivedBytes = 30_000;
        grants.check(a);
        assertEquals(100_000, grants.outstanding(), "30 KB arrived, 30 KB more granted");
        assertEquals(30_000 + WINDOW, a.incoming.granted);
        grants.withdraw(a);
        grants.schedule();
        assertEquals(WINDOW, b.incoming.granted, "a's share went to b, up to a window beyond what b received");
        assertEquals(WINDOW, grants.outstanding());
    }
}
