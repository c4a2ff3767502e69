package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The primitive-keyed RPC table against a HashMap doing the same operations. */
class RpcTableTest {
    private static final Peer PEER = Mechanisms.peer(1);

    @Test
    void randomOperationsAgreeWithAMap() {
        Random random = new Random(7);
        RpcTable table = new RpcTable();
        Map<Long, Rpc> model = new HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            // Mostly sequential IDs, as peers issue them, with some far-apart ones that collide in the index.
            long id = random.nextInt(4) == 0 ? random.nextLong() >>> 16 : random.nextInt(3000);
            switch (random.nextInt(3)) {
                case 0 -> {
                    if (!model.containsKey(id)) {
                        Rpc rpc = new Rpc(PEER, id, false, null, 0);
                        table.add(rpc);
                        model.put(id, rpc);
                    }
                }
                case 1 -> assertSame(model.remove(id), table.remove(id), "remove " + id);
                default -> assertSame(model.get(id), table.get(id), "get " + id);
            }
            assertEquals(model.size(), table.size());
        }
        for (Map.Entry<Long, Rpc> e : model.entrySet()) {
            assertSame(e.getValue(), table.get(e.getKey()));
        }
        Set<Rpc> seen = new HashSet<>();
        for (int i = 0; i < table.size(); i++) {
            seen.add(table.at(i));
        }
        assertEquals(new HashSet<>(model.values()), seen);
    }

    @Test
    void iteratingDownwardsMayRemoveTheCurrentRpc() {
        RpcTable table = new RpcTable();
        for (long id = 0; id < 1000; id++) {
            table.add(new Rpc(PEER, id, false, null, 0));
        }
        Set<Long> visited = new HashSet<>();
        for (int i = table.size() - 1; i >= 0; i--) {
            Rpc rpc = table.at(i);
            assertTrue(visited.add(rpc.rpcId), "each RPC visited once");
            if (rpc.rpcId % 3 != 0) {
                assertSame(rpc, table.remove(rpc.rpcId));
            }
        }
        assertEquals(1000, visited.size());
        assertEquals(334, table.size());
        for (long id = 0; id < 1000; id++) {
            if (id % 3 == 0) {
                assertEquals(id, table.get(id).rpcId);
            } else {
                assertNull(table.get(id));
            }
        }
    }

    @Test
    void removeIfPresentRemovesOnlyThatRpc() {
        RpcTable table = new RpcTable();
        Rpc held = new Rpc(PEER, 5, false, null, 0);
        table.add(held);
        Rpc other = new Rpc(PEER, 5, false, null, 0);
        assertEquals(false, table.removeIfPresent(other));
        assertEquals(true, table.removeIfPresent(held));
        assertTrue(table.isEmpty());
    }
}
