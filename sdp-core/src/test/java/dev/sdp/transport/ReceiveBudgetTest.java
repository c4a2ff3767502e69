package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The receive memory budget alone: both pools' caps, which request goes first, expiry. */
class ReceiveBudgetTest {
    private final ReceiveBudget budget = new ReceiveBudget(TransportConfig.builder()
            .maxUnauthenticatedBytes(1000).maxUnauthenticatedBytesTotal(1500)
            .maxReassemblyBytes(1 << 20).maxReassemblyBytesTotal(3 << 19).build());

    @Test
    void capsEachPeerAndAllPeersInBothPools() {
        Peer a = Mechanisms.peer(1);
        Peer b = Mechanisms.peer(2);
        assertTrue(budget.fitsUnauthenticated(a, 1000));
        assertFalse(budget.fitsUnauthenticated(a, 1001), "per-peer cap");
        assertTrue(budget.tryCharge(a, false, 900));
        assertFalse(budget.tryCharge(b, false, 601), "total cap, and nothing charged");
        assertEquals(900, budget.unauthenticatedUsed());
        budget.release(a, false, 900);
        assertEquals(0, a.unauthenticatedBytes);
        assertTrue(budget.tryCharge(a, true, 1 << 20));
        assertFalse(budget.reassemblyRoom(a, 1), "per-peer reassembly cap");
        assertTrue(budget.reassemblyRoom(b, 1 << 19));
        assertFalse(budget.reassemblyRoom(b, (1 << 19) + 1), "total reassembly cap");
    }

    /** An unauthenticated request that holds buffered bytes (only those are worth evicting). */
    private Rpc request(Peer peer, long id, long createdNanos) {
        Rpc rpc = new Rpc(peer, id, false, null, createdNanos);
        rpc.incoming = Mechanisms.receiving(Mechanisms.peer(99), id, 100_000, 0).incoming;
        rpc.incoming.receivedBytes = 1;
        peer.serverRpcs.add(rpc);
        budget.track(rpc);
        return rpc;
    }

    @Test
    void thePeerOverItsCapLosesItsOwnOldestElseTheOldestOfAllGoes() {
        Peer a = Mechanisms.peer(1);
        Peer b = Mechanisms.peer(2);
        Rpc oldestOfAll = request(b, 1, 1);
        Rpc accepted = request(a, 1, 2);
        accepted.requestAccepted = true;
        Rpc older = request(a, 2, 5);
        Rpc newer = request(a, 3, 9);
        budget.tryCharge(a, false, 1000);
        assertSame(older, budget.victim(a, null, 1), "a is over its own cap: its oldest unauthenticated request goes");
        assertSame(newer, budget.victim(a, older, 1), "never the request being served");
        budget.release(a, false, 1000);
        budget.tryCharge(b, false, 550);
        budget.tryCharge(a, false, 900);
        assertSame(oldestOfAll, budget.victim(a, null, 100), "over the total: the oldest of any peer goes");
        Rpc holdsNothing = new Rpc(a, 4, false, null, 0);
        a.serverRpcs.add(holdsNothing);
        budget.track(holdsNothing);
        older.requestAccepted = true;
        newer.requestAccepted = true;
        b.serverRpcs.remove(1);
        assertNull(budget.victim(a, null, 100), "nothing unauthenticated that holds bytes is left to drop");
        assertSame(holdsNothing, budget.oldestUnauthenticated(a, null, false), "but it may go to make room for an RPC");
    }

    @Test
    void unauthenticatedRequestsExpireOldestFirstWhateverTheirPeerDoes() {
        Peer a = Mechanisms.peer(1);
        Rpc first = request(a, 1, 10);
        Rpc authenticated = request(a, 2, 20);
        authenticated.requestAccepted = true;
        Rpc late = request(a, 3, 30);
        first.lastHeardNanos = 1_000; // kept busy by its peer: does not matter
        assertSame(first, budget.expired(25));
        assertNull(budget.expired(25), "the authenticated one is skipped and the next began after the deadline");
        assertSame(late, budget.expired(31));
    }
}
