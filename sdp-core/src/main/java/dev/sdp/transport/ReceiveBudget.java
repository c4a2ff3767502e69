package dev.sdp.transport;

import java.util.ArrayDeque;

/**
 * Memory held for incoming messages, charged before it is allocated (docs/PROTOCOL.md §12;
 * DESIGN.md "unbounded unauthenticated state"), in two pools, each capped per peer and in total:
 * <ul>
 * <li>unauthenticated: buffers of messages none of whose records has authenticated yet. Anyone
 *     who can send to the port can make the server hold these, so the cap is small and, when a
 *     packet does not fit, the request that has waited longest without authenticating goes: the
 *     peer's own when the peer is over its cap, else the oldest of any peer. Such requests also
 *     expire after the unauthenticated timeout ({@link #expired}), however busy their peer keeps them.</li>
 * <li>reassembly: segments and plaintext of authenticated messages (plaintext mode: every
 *     message). A packet that does not fit is dropped and asked for again later, and the grant
 *     scheduler grants nothing that the pool could not hold ({@link #reassemblyRoom}).</li>
 * </ul>
 */
final class ReceiveBudget {
    private final long unauthenticatedPerPeer;
    private final long unauthenticatedTotal;
    private final long reassemblyPerPeer;
    private final long reassemblyTotal;
    private long unauthenticatedUsed;
    private long reassemblyUsed;
    /**
     * Server RPCs in the order they began, while none of their records has authenticated: the
     * oldest first, for eviction and expiry. Entries that authenticated or ended stay until they
     * reach the head (each is skipped there), so the queue holds at most what began within one
     * unauthenticated timeout plus one timer tick.
     */
    private final ArrayDeque<Rpc> unauthenticatedOrder = new ArrayDeque<>();

    ReceiveBudget(TransportConfig config) {
        this.unauthenticatedPerPeer = config.maxUnauthenticatedBytes();
        this.unauthenticatedTotal = config.maxUnauthenticatedBytesTotal();
        this.reassemblyPerPeer = config.maxReassemblyBytes();
        this.reassemblyTotal = config.maxReassemblyBytesTotal();
    }

    /** Whether {@code bytes} more unauthenticated bytes from {@code peer} stay within both caps. */
    boolean fitsUnauthenticated(Peer peer, long bytes) {
        return peer.unauthenticatedBytes + bytes <= unauthenticatedPerPeer && unauthenticatedUsed + bytes <= unauthenticatedTotal;
    }

    /** Whether the reassembly pool could take {@code bytes} more for {@code peer} now. */
    boolean reassemblyRoom(Peer peer, long bytes) {
        return peer.reassemblyBytes + bytes <= reassemblyPerPeer && reassemblyUsed + bytes <= reassemblyTotal;
    }

    /** Charges {@code bytes} to a pool if both its caps allow; false (and no charge) otherwise. */
    boolean tryCharge(Peer peer, boolean reassembly, long bytes) {
        if (reassembly ? !reassemblyRoom(peer, bytes) : !fitsUnauthenticated(peer, bytes)) {
            return false;
        }
        add(peer, reassembly, bytes);
        return true;
    }

    /** Returns bytes charged with {@link #tryCharge}. */
    void release(Peer peer, boolean reassembly, long bytes) {
        add(peer, reassembly, -bytes);
    }

    private void add(Peer peer, boolean reassembly, long bytes) {
        if (reassembly) {
            peer.reassemblyBytes += bytes;
            reassemblyUsed += bytes;
        } else {
            peer.unauthenticatedBytes += bytes;
            unauthenticatedUsed += bytes;
        }
    }

    /** A server RPC began without anything authenticated: it is a candidate for eviction and expiry. */
    void track(Rpc rpc) {
        unauthenticatedOrder.add(rpc);
    }

    /**
     * The request to drop so that {@code peer} may buffer more unauthenticated bytes: the peer's
     * own oldest if the peer is over its cap, else the oldest of all; never {@code keep}; null when
     * there is none.
     */
    Rpc victim(Peer peer, Rpc keep, long bytes) {
        if (bytes > unauthenticatedPerPeer - peer.unauthenticatedBytes) {
            return oldestUnauthenticated(peer, keep, true);
        }
        for (Rpc rpc : unauthenticatedOrder) {
            if (rpc != keep && isUnauthenticated(rpc) && holdsBytes(rpc)) {
                return rpc;
            }
        }
        return null;
    }

    /**
     * The peer's request that began longest ago without authenticating, never {@code keep}, or
     * null; with {@code holdingBytes}, only among those that hold buffered bytes (dropping the others
     * frees nothing).
     */
    Rpc oldestUnauthenticated(Peer peer, Rpc keep, boolean holdingBytes) {
        Rpc victim = null;
        RpcTable rpcs = peer.serverRpcs;
        for (int i = 0; i < rpcs.size(); i++) {
            Rpc rpc = rpcs.at(i);
            if (rpc != keep && !rpc.requestAccepted && (!holdingBytes || holdsBytes(rpc))
                    && (victim == null || rpc.createdNanos < victim.createdNanos)) {
                victim = rpc;
            }
        }
        return victim;
    }

    private static boolean holdsBytes(Rpc rpc) {
        return rpc.incoming != null && !rpc.incoming.isEmpty();
    }

    /** The oldest request that began before {@code deadline} and has not authenticated, or null; drops stale entries. */
    Rpc expired(long deadline) {
        Rpc head;
        while ((head = unauthenticatedOrder.peek()) != null && (!isUnauthenticated(head) || head.createdNanos < deadline)) {
            unauthenticatedOrder.poll();
            if (isUnauthenticated(head)) {
                return head;
            }
        }
        return null;
    }

    private static boolean isUnauthenticated(Rpc rpc) {
        return !rpc.requestAccepted && rpc.isOpen();
    }

    /** Unauthenticated bytes charged over all peers. */
    long unauthenticatedUsed() {
        return unauthenticatedUsed;
    }


    /** Reassembly bytes charged over all peers. */
    long reassemblyUsed() {
        return reassemblyUsed;
    }
}
