package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The cap on unauthenticated bytes alone: per peer, in total, and which RPC goes first. */
class UnauthenticatedBudgetTest {
    private final UnauthenticatedBudget budget = new UnauthenticatedBudget(
            TransportConfig.builder().maxUnauthenticatedBytes(1000).maxUnauthenticatedBytesTotal(1500).build());

    @Test
    void capsEachPeerAndAllPeers() {
        Peer a = Mechanisms.peer(1);
        Peer b = Mechanisms.peer(2);
        assertTrue(budget.fits(a, 1000));
        assertFalse(budget.fits(a, 1001), "per-peer cap");
        budget.charge(a, 900);
        assertTrue(budget.fits(b, 600));
        assertFalse(budget.fits(b, 601), "total cap");
        budget.charge(a, -900);
        assertEquals(0, budget.used());
        assertEquals(0, a.unauthenticatedBytes);
    }

    @Test
    void releasingAnRpcReturnsWhatItsMessageHeld() {
        Peer peer = Mechanisms.peer(1);
        Rpc rpc = Mechanisms.receiving(peer, 1, 10_000, 0);
        rpc.incoming.unauthenticatedBytes = 700;
        budget.charge(peer, 700);
        budget.release(rpc);
        assertEquals(0, budget.used());
    }

    @Test
    void theVictimIsTheUnauthenticatedRequestQuietLongest() {
        Peer peer = Mechanisms.peer(1);
        Rpc accepted = Mechanisms.receiving(peer, 1, 100, 0);
        accepted.requestAccepted = true;
        accepted.lastHeardNanos = 1;
        Rpc older = Mechanisms.receiving(peer, 2, 100, 0);
        older.lastHeardNanos = 5;
        Rpc newer = Mechanisms.receiving(peer, 3, 100, 0);
        newer.lastHeardNanos = 9;
        assertSame(older, budget.victim(peer, null), "authenticated requests are never victims; the quietest goes");
        assertSame(newer, budget.victim(peer, older), "never the RPC being served");
        older.requestAccepted = true;
        newer.requestAccepted = true;
        assertNull(budget.victim(peer, null), "nothing unauthenticated, nothing to drop");
    }
}
