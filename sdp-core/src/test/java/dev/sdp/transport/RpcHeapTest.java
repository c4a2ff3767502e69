package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The intrusive SRPT heap against a list kept sorted by the same keys. */
class RpcHeapTest {
    private static final Peer PEER = Mechanisms.peer(1);

    @Test
    void addRemoveRekeyAndPollAgreeWithASortedModel() {
        Random random = new Random(11);
        Map<Rpc, Long> keys = new HashMap<>();
        RpcHeap heap = new RpcHeap(RpcHeap.GRANT_CANDIDATES, keys::get);
        List<Rpc> model = new ArrayList<>();
        Comparator<Rpc> order = Comparator.comparingLong(keys::get);
        for (int step = 0; step < 50_000; step++) {
            switch (random.nextInt(4)) {
                case 0 -> {
                    Rpc rpc = new Rpc(PEER, step, false, null, 0);
                    keys.put(rpc, (long) random.nextInt(1000));
                    heap.add(rpc);
                    model.add(rpc);
                }
                case 1 -> {
                    if (!model.isEmpty()) {
                        Rpc rpc = model.remove(random.nextInt(model.size()));
                        heap.remove(rpc);
                        assertFalse(heap.contains(rpc));
                    }
                }
                case 2 -> {
                    if (!model.isEmpty()) {
                        Rpc rpc = model.get(random.nextInt(model.size()));
                        keys.put(rpc, (long) random.nextInt(1000));
                        heap.update(rpc);
                    }
                }
                default -> {
                    Rpc top = heap.poll();
                    if (model.isEmpty()) {
                        assertNull(top);
                    } else {
                        long smallest = model.stream().min(order).map(keys::get).orElseThrow();
                        assertEquals(smallest, keys.get(top), "the smallest key comes out first");
                        model.remove(top);
                    }
                }
            }
            assertEquals(model.size(), heap.size());
        }
        model.sort(order);
        for (Rpc expected : model) {
            assertEquals(keys.get(expected), keys.get(heap.poll()));
        }
        assertSame(null, heap.peek());
    }

    @Test
    void anRpcSitsInBothKindsOfHeapAtOnce() {
        Rpc rpc = new Rpc(PEER, 1, false, null, 0);
        RpcHeap sends = new RpcHeap(RpcHeap.SEND_QUEUE, r -> 1);
        RpcHeap grants = new RpcHeap(RpcHeap.GRANT_CANDIDATES, r -> 2);
        sends.add(rpc);
        grants.add(rpc);
        sends.remove(rpc);
        assertFalse(sends.contains(rpc));
        assertSame(rpc, grants.poll());
    }
}
