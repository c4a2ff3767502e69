package dev.sdp.transport;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The session table: one {@link Peer} per remote address. Concurrent, because callers prepare
 * messages on their own threads (looking their peer up) while the engine's thread receives; every
 * other use is on the engine's thread. Which sessions may expire or be evicted is the caller's
 * policy; this table only answers which are idle and which has been quiet longest.
 */
final class Peers {
    private final Map<InetSocketAddress, Peer> byAddress = new ConcurrentHashMap<>();
    private final ArrayDeque<Peer> ending = new ArrayDeque<>();
    private final AtomicLong sessionIds = new AtomicLong();

    /** A number for a new session, never given before by this table. Thread-safe. */
    long nextSessionId() {
        return sessionIds.incrementAndGet();
    }

    Peer get(InetSocketAddress address) {
        return byAddress.get(address);
    }

    void add(Peer peer) {
        if (byAddress.putIfAbsent(peer.address, peer) != null) {
            throw new IllegalStateException("a session with " + peer.address + " exists already");
        }
    }

    Peer remove(InetSocketAddress address) {
        return byAddress.remove(address);
    }

    /**
     * Marks a session to end for {@code reason} once the engine's current step is over (a mechanism
     * that finds the session unusable must not remove it under another mechanism's iteration).
     */
    void endLater(Peer peer, TransportStats.Counter reason) {
        if (peer.ending == null) {
            peer.ending = reason;
            ending.add(peer);
        }
    }

    /** The next session marked to end, or null. */
    Peer pollEnding() {
        return ending.poll();
    }

    Collection<Peer> all() {
        return byAddress.values();
    }

    /** Among {@code candidates}, sessions without open RPCs in which nothing has authenticated for {@code idleNanos}. */
    List<InetSocketAddress> idle(Iterable<InetSocketAddress> candidates, long now, long idleNanos) {
        List<InetSocketAddress> idle = new ArrayList<>();
        for (InetSocketAddress address : candidates) {
            Peer peer = byAddress.get(address);
            if (peer != null && peer.openRpcs() == 0 && now - peer.lastAuthenticatedNanos > idleNanos) {
                idle.add(address);
            }
        }
        return idle;
    }

    /** Among {@code candidates}, the session without open RPCs that has been quiet longest, or null. */
    InetSocketAddress leastRecentlyActive(Iterable<InetSocketAddress> candidates) {
        Peer oldest = null;
        for (InetSocketAddress address : candidates) {
            Peer peer = byAddress.get(address);
            if (peer != null && peer.openRpcs() == 0 && (oldest == null || peer.lastAuthenticatedNanos < oldest.lastAuthenticatedNanos)) {
                oldest = peer;
            }
        }
        return oldest == null ? null : oldest.address;
    }
}
