// Design notes: how sessions come to exist is a choice made once per socket, so it is one strategy
// object rather than a test at every place it matters. Installed keys only (the paper's kTLS-like
// mode), TLS 1.3 handshakes (docs/PROTOCOL.md §5b: calls wait for the handshake; caps and idle
// expiry bound the sessions it creates), or plaintext sessions on demand (§11, the unencrypted
// baseline). Encrypted and plaintext modes do not mix on one socket (§11).
package dev.sdp;

import dev.sdp.transport.Engine;
import dev.sdp.transport.RpcException;
import dev.sdp.wire.CommonHeader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLSession;

/**
 * How an {@link Endpoint}'s sessions come to exist beyond those installed by hand. Called under the
 * socket's lock with the endpoint's clock, except where a method says it is thread-safe.
 */
sealed interface SessionSource permits SessionSource.Installed, SessionSource.PlaintextPeers, HandshakeSessions {
    /** What became of a call that found no session with its peer. */
    enum Establishing {
        /** A session exists now: make the call again. */
        READY,
        /** The source has taken the call: it goes out once a session exists, or fails. */
        TAKEN,
        /** No session can be had: the call fails with the error that brought it here. */
        REFUSED
    }

    /**
     * What a call without a session keeps of its request while one is established (before the lock
     * is taken, since it may copy): the request itself unless the call may have to wait.
     */
    default ByteBuffer hold(ByteBuffer request) {
        return request;
    }

    /**
     * Refuses a call to {@code peer} whose session does not vouch for the name the call uses (a
     * session verified for another name of the same address). Thread-safe.
     */
    default void checkName(InetSocketAddress peer) throws RpcException {
    }

        /** Establishes a session with {@code peer} for {@code call}, whose request {@link #hold} kept. */
    Establishing establish(InetSocketAddress peer, PendingCall call, ByteBuffer request, long now);

    /** Sees each received datagram first; returns true when it took it, false when it goes to the engine. */
    default boolean receive(InetSocketAddress from, ByteBuffer datagram, long now) {
        return false;
    }

    default void onTimer(long now) {
    }

    /** When {@link #onTimer} wants to run, or Long.MAX_VALUE. */
    default long nextTimerNanos() {
        return Long.MAX_VALUE;
    }

    /** Writes a datagram of the source's own at {@code out}'s position and returns its destination, or null. */
    default InetSocketAddress pollTransmit(ByteBuffer out) {
        return null;
    }

    /** {@code call} failed with a timeout (it has left the engine). */
    default void callTimedOut(PendingCall call) {
    }

    /** The session with {@code peer} has ended, whoever ended it. */
    default void sessionEnded(InetSocketAddress peer) {
    }

    /** Forgets {@code call}, which the engine did not know: it was given up before it went out. */
    default void abandon(PendingCall call) {
    }

    /** The TLS session behind the current session with {@code peer}, or null. Thread-safe. */
    default SSLSession tlsSession(InetSocketAddress peer) {
        return null;
    }

    /** The TLS session behind session {@code sessionId} with {@code peer}, or null (not from a handshake, or no longer current). Thread-safe. */
    default SSLSession tlsSession(InetSocketAddress peer, long sessionId) {
        return null;
    }

    /** Sessions from handshakes open now. Thread-safe. */
    default int tlsSessionCount() {
        return 0;
    }

    /** Server-side handshakes started and not finished. */
    default int pendingHandshakes() {
        return 0;
    }

    /** Fails what waits for a session: the endpoint is closing. */
    default void close() {
    }

    /** Sessions exist only as installed ({@link SdpSocket#installKeys}, {@link SdpSocket#installPlaintext}). */
    final class Installed implements SessionSource {
        @Override
        public Establishing establish(InetSocketAddress peer, PendingCall call, ByteBuffer request, long now) {
            return Establishing.REFUSED;
        }
    }

    /**
     * Any peer may talk plaintext mode: a call to a peer without a session, or a plaintext packet
     * from one, creates a plaintext session. Capped, since these sessions never close.
     */
    final class PlaintextPeers implements SessionSource {
        private static final int MAX_PEERS = 10_000;

        private final Engine<PendingCall> engine;
        private int added;

        PlaintextPeers(Engine<PendingCall> engine) {
            this.engine = engine;
        }

        @Override
        public Establishing establish(InetSocketAddress peer, PendingCall call, ByteBuffer request, long now) {
            return add(peer) ? Establishing.READY : Establishing.REFUSED;
        }

        @Override
        public boolean receive(InetSocketAddress from, ByteBuffer datagram, long now) {
            if (CommonHeader.peekPlaintext(datagram) && !engine.hasPeer(from)) {
                add(from);
            }
            return false;
        }

        /** Installs a plaintext session with {@code peer} unless the cap is reached; true when one exists afterwards. */
        private boolean add(InetSocketAddress peer) {
            if (engine.hasPeer(peer)) {
                return true;
            }
            if (added >= MAX_PEERS) {
                return false;
            }
            engine.addPlaintextPeer(peer);
            added++;
            return true;
        }
    }
}
