package dev.sdp.transport;

/**
 * Bytes buffered for incoming messages none of whose records has authenticated yet, per peer
 * and in total (docs/PROTOCOL.md §12; DESIGN.md "unbounded unauthenticated state"): such bytes
 * may be forged by anyone who can send to the port, so they are capped, and when a packet does
 * not fit, the server RPC whose request has waited longest without a record authenticating is
 * the one to go. State that proves nothing goes first; a genuine request keeps its place as soon
 * as its first record opens (its bytes then leave the budget).
 */
final class UnauthenticatedBudget {
    private final long perPeer;
    private final long total;
    private long used;

    UnauthenticatedBudget(TransportConfig config) {
        this.perPeer = config.maxUnauthenticatedBytes();
        this.total = config.maxUnauthenticatedBytesTotal();
    }

    /** Whether {@code bytes} more from {@code peer} stay within both caps. */
    boolean fits(Peer peer, long bytes) {
        return peer.unauthenticatedBytes + bytes <= perPeer && used + bytes <= total;
    }

    /** Adds (or with a negative delta, returns) bytes charged to {@code peer}. */
    void charge(Peer peer, long delta) {
        peer.unauthenticatedBytes += delta;
        used += delta;
    }

    /** Returns what the RPC's incoming message holds unauthenticated. */
    void release(Rpc rpc) {
        if (rpc.incoming != null) {
            charge(rpc.peer, -rpc.incoming.unauthenticatedBytes);
        }
    }

    /** The server RPC of {@code peer} to drop to make room: unauthenticated and quiet longest; never {@code keep}; or null. */
    Rpc victim(Peer peer, Rpc keep) {
        Rpc victim = null;
        RpcTable rpcs = peer.serverRpcs;
        for (int i = 0; i < rpcs.size(); i++) {
            Rpc rpc = rpcs.at(i);
            if (rpc != keep && !rpc.requestAccepted && (victim == null || rpc.lastHeardNanos < victim.lastHeardNanos)) {
                victim = rpc;
            }
        }
        return victim;
    }

    /** Bytes charged over all peers. */
    long used() {
        return used;
    }
}
