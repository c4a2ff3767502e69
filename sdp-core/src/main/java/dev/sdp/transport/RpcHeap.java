package dev.sdp.transport;

import java.util.Arrays;
import java.util.function.ToLongFunction;

/**
 * A binary min-heap of RPCs by a key the owner defines, with each RPC's position stored in the
 * RPC itself, so adding, removing and re-keying one RPC is O(log n) without allocation. Both SRPT
 * queues use it (the sender's send queue, the receiver's grant candidates) instead of sorting a
 * list per packet. An RPC is in at most one heap of each kind; its position there is -1 outside.
 */
final class RpcHeap {
    /** The kinds of heap, each with its own position slot in every RPC ({@link Rpc#heapPositions}). */
    static final int SEND_QUEUE = 0;
    static final int GRANT_CANDIDATES = 1;

    private final int kind;
    private final ToLongFunction<Rpc> key;
    private Rpc[] heap = new Rpc[16];
    private int size;

    /** A heap of the given kind ordered by {@code key}, smallest first. */
    RpcHeap(int kind, ToLongFunction<Rpc> key) {
        this.kind = kind;
        this.key = key;
    }

    private long key(Rpc rpc) {
        return key.applyAsLong(rpc);
    }

    private int position(Rpc rpc) {
        return rpc.heapPositions[kind];
    }

    private void position(Rpc rpc, int position) {
        rpc.heapPositions[kind] = position;
    }

    final int size() {
        return size;
    }

    final boolean isEmpty() {
        return size == 0;
    }

    final boolean contains(Rpc rpc) {
        return position(rpc) >= 0;
    }

    /** The RPC with the smallest key, or null. */
    final Rpc peek() {
        return size == 0 ? null : heap[0];
    }

    final void add(Rpc rpc) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = rpc;
        position(rpc, size);
        size++;
        siftUp(size - 1);
    }

    /** Removes and returns the smallest, or null. */
    final Rpc poll() {
        Rpc top = peek();
        if (top != null) {
            remove(top);
        }
        return top;
    }

    /** Removes {@code rpc} if it is in this heap. */
    final boolean remove(Rpc rpc) {
        int i = position(rpc);
        if (i < 0) {
            return false;
        }
        position(rpc, -1);
        size--;
        if (i != size) {
            heap[i] = heap[size];
            position(heap[i], i);
            heap[size] = null;
            update(heap[i]);
        } else {
            heap[size] = null;
        }
        return true;
    }

    /** Restores the order after {@code rpc}'s key changed. */
    final void update(Rpc rpc) {
        int i = position(rpc);
        if (i >= 0 && !siftUp(i)) {
            siftDown(i);
        }
    }

    final void clear() {
        for (int i = 0; i < size; i++) {
            position(heap[i], -1);
            heap[i] = null;
        }
        size = 0;
    }

    private boolean siftUp(int i) {
        Rpc rpc = heap[i];
        long key = key(rpc);
        int start = i;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (key(heap[parent]) <= key) {
                break;
            }
            heap[i] = heap[parent];
            position(heap[i], i);
            i = parent;
        }
        heap[i] = rpc;
        position(rpc, i);
        return i != start;
    }

    private void siftDown(int i) {
        Rpc rpc = heap[i];
        long key = key(rpc);
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && key(heap[child + 1]) < key(heap[child])) {
                child++;
            }
            if (key(heap[child]) >= key) {
                break;
            }
            heap[i] = heap[child];
            position(heap[i], i);
            i = child;
        }
        heap[i] = rpc;
        position(rpc, i);
    }
}
