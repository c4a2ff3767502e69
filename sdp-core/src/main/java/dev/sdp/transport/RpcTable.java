package dev.sdp.transport;

import java.util.Arrays;

/**
 * The RPCs of one peer in one role, keyed by RPC ID without boxing: an open-addressing index
 * (linear probing, at most half full, backward-shift deletion) over a dense array that iteration
 * walks. Every DATA and control packet looks an RPC up here, so a lookup must not allocate.
 *
 * <p>Iterating from {@code size() - 1} down to 0 may remove the RPC at the current index: removal
 * moves the last RPC into the freed place, and that one has been visited already.
 */
final class RpcTable {
    private static final int MIN_CAPACITY = 16;

    /** Open-addressing index: dense position + 1, or 0 for a free slot. */
    private int[] index = new int[MIN_CAPACITY];
    private Rpc[] dense = new Rpc[MIN_CAPACITY / 2];
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The RPC at dense position {@code i} (0 to size - 1). */
    Rpc at(int i) {
        return dense[i];
    }

    Rpc get(long rpcId) {
        int mask = index.length - 1;
        for (int slot = hash(rpcId) & mask; ; slot = (slot + 1) & mask) {
            int d = index[slot];
            if (d == 0) {
                return null;
            }
            if (dense[d - 1].rpcId == rpcId) {
                return dense[d - 1];
            }
        }
    }

    /** Adds an RPC whose ID is not in the table yet. */
    void add(Rpc rpc) {
        if ((size + 1) * 2 > index.length) {
            grow();
        }
        if (size == dense.length) {
            dense = Arrays.copyOf(dense, size * 2);
        }
        dense[size] = rpc;
        size++;
        place(rpc.rpcId, size);
    }

    /** Removes and returns the RPC with this ID, or null. */
    Rpc remove(long rpcId) {
        int mask = index.length - 1;
        int slot = hash(rpcId) & mask;
        while (index[slot] != 0 && dense[index[slot] - 1].rpcId != rpcId) {
            slot = (slot + 1) & mask;
        }
        if (index[slot] == 0) {
            return null;
        }
        int position = index[slot] - 1;
        Rpc removed = dense[position];
        deleteSlot(slot);
        int last = size - 1;
        if (position != last) {
            Rpc moved = dense[last];
            dense[position] = moved;
            index[slotOf(moved.rpcId)] = position + 1;
        }
        dense[last] = null;
        size--;
        return removed;
    }

    /** Removes {@code rpc} if it is the one this table holds under its ID. */
    boolean removeIfPresent(Rpc rpc) {
        if (get(rpc.rpcId) != rpc) {
            return false;
        }
        remove(rpc.rpcId);
        return true;
    }

    private int slotOf(long rpcId) {
        int mask = index.length - 1;
        int slot = hash(rpcId) & mask;
        while (dense[index[slot] - 1].rpcId != rpcId) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void place(long rpcId, int densePlusOne) {
        int mask = index.length - 1;
        int slot = hash(rpcId) & mask;
        while (index[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        index[slot] = densePlusOne;
    }

    /** Frees a slot and shifts later members of the probe run back, so lookups never stop early. */
    private void deleteSlot(int free) {
        int mask = index.length - 1;
        index[free] = 0;
        for (int slot = (free + 1) & mask; index[slot] != 0; slot = (slot + 1) & mask) {
            int home = hash(dense[index[slot] - 1].rpcId) & mask;
            // Move the entry back unless its home lies cyclically in (free, slot].
            boolean homeAfterFree = free <= slot ? (home > free && home <= slot) : (home > free || home <= slot);
            if (!homeAfterFree) {
                index[free] = index[slot];
                index[slot] = 0;
                free = slot;
            }
        }
    }

    private void grow() {
        index = new int[index.length * 2];
        for (int i = 0; i < size; i++) {
            place(dense[i].rpcId, i + 1);
        }
    }

    private static int hash(long rpcId) {
        long h = rpcId * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
