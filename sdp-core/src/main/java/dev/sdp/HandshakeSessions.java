// Design notes: sessions from TLS 1.3 handshakes over the socket's own port (docs/PROTOCOL.md §5b,
// docs/ARCHITECTURE.md "Sessions and handshakes"). It owns what that takes beyond the handshake layer
// (dev.sdp.session.Sessions): calls waiting for a handshake, capped per peer like open RPCs; the cap on
// sessions, met by evicting the quietest one without open RPCs; and the session lifetime rules of §5b
// (idle expiry, a silent peer's session dropped). Sessions end only through Endpoint.endSession.
package dev.sdp;

import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.ServerNames;
import dev.sdp.session.SessionEvent;
import dev.sdp.session.Sessions;
import dev.sdp.transport.Engine;
import dev.sdp.transport.PreparedMessage;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.TransportConfig;
import dev.sdp.transport.TransportStats;
import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.PacketType;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/** Sessions from TLS 1.3 handshakes: a call to a peer without a session starts one and waits for it. */
final class HandshakeSessions implements SessionSource {
    /** A call waiting for a handshake, its request held; {@code attempts}: handshakes it has already been sent over. */
    private record WaitingCall(PendingCall call, ByteBuffer request, int attempts) {
    }

    /**
     * Handshakes a call that waited for one is sent over before it fails: the server may refuse a
     * handshake after this side has keys (its TLS engine failed on a final flight someone else sent
     * ahead of ours), and then it never had keys to take the call with, so sending it again is safe.
     */
    private static final int MAX_SESSIONS_PER_WAITING_CALL = 3;

    private final Endpoint endpoint;
    private final Engine<PendingCall> engine;
    private final Sessions sessions;
    private final TransportStats stats;
    private final int maxWaitingPerPeer;
    /** Sessions that came from handshakes, with the peer identity they verified; read without the lock. */
    private final Map<InetSocketAddress, Established> established = new ConcurrentHashMap<>();

    /**
     * A session from a handshake: the engine's ID for it, the TLS session that verified the peer,
     * and the names calls have used with it that the peer's certificate covers.
     */
    private record Established(long sessionId, SSLSession session, Set<String> namesCovered) {
        Established(long sessionId, SSLSession session) {
            this(sessionId, session, ConcurrentHashMap.newKeySet());
        }
    }
    private final Map<InetSocketAddress, List<WaitingCall>> waiting = new HashMap<>();
    /** Calls sent over a session the server has not yet confirmed, kept to send again if it refuses. */
    private final Map<InetSocketAddress, List<WaitingCall>> unconfirmed = new HashMap<>();
    /**
     * Datagrams a peer sent behind the handshake flight a worker is still feeding to TLS (a client
     * sends its first requests right after its Finished): held, bounded, and given to the engine once
     * the keys are installed, instead of being dropped as from an unknown peer and asked for again.
     */
    private final Map<InetSocketAddress, List<byte[]>> heldForKeys = new HashMap<>();
    private long heldBytes;
    /** A first segment sent unscheduled: 46 datagrams at MTU 1500, with room for a second small request. */
    private static final int MAX_HELD_PER_PEER = 64;
    private static final long MAX_HELD_BYTES = 1 << 20;
    private long nextIdleCheck;

    HandshakeSessions(Endpoint endpoint, Engine<PendingCall> engine, HandshakeConfig tls, TransportConfig config, TransportStats stats,
                      java.util.concurrent.Executor work, Runnable workReady) {
        this.endpoint = endpoint;
        this.engine = engine;
        this.stats = stats;
        this.sessions = new Sessions(tls, stats, config.maxDatagram(), work, workReady);
        this.maxWaitingPerPeer = config.maxRpcsPerPeer();
    }

    /** A copy: the caller may reuse its buffer once the call is made, while this one waits for keys. */
    @Override
    public ByteBuffer hold(ByteBuffer request) {
        return ByteBuffer.allocate(request.remaining()).put(request).flip();
    }

    /** Queues the call until a handshake with {@code peer} (started now unless one runs) gives keys. */
    @Override
    public Establishing establish(InetSocketAddress peer, PendingCall call, ByteBuffer request, long now) {
        if (engine.hasPeer(peer)) {
            return Establishing.READY;
        }
        List<WaitingCall> calls = waiting.computeIfAbsent(peer, p -> new ArrayList<>());
        if (calls.size() >= maxWaitingPerPeer) {
            call.completeExceptionally(new RpcException(RpcException.Reason.TOO_MANY_RPCS,
                    "more than " + maxWaitingPerPeer + " calls wait for the handshake with " + peer));
            return Establishing.TAKEN;
        }
        calls.add(new WaitingCall(call, request, 0));
        sessions.connect(peer, now);
        handleSessionEvents(now);
        return Establishing.TAKEN;
    }

    /**
     * Sessions are keyed by address; a call names its peer. A call made with a name the session's
     * certificate has not been checked against is checked now (F13: a session verified for
     * {@code localhost} must not carry calls to {@code bank.example} because both resolve to one
     * address). A session whose peer presented no certificate (it started the handshake, without a
     * client certificate) vouches for no name and is not checked.
     */
    @Override
    public void checkName(InetSocketAddress peer) throws RpcException {
        Established e = established.get(peer);
        if (e == null || !sessions.config().verifyHostname()) {
            return;
        }
        String name = peer.getHostString();
        if (e.namesCovered().contains(name)) {
            return;
        }
        java.security.cert.Certificate[] chain;
        try {
            chain = e.session().getPeerCertificates();
        } catch (javax.net.ssl.SSLPeerUnverifiedException anonymous) {
            return;
        }
        if (!(chain[0] instanceof java.security.cert.X509Certificate leaf) || !ServerNames.covers(leaf, name)) {
            stats.increment(TransportStats.Counter.CALLS_REFUSED_FOR_NAME);
            throw new RpcException(RpcException.Reason.HANDSHAKE_FAILED, "the session with " + peer.getAddress().getHostAddress() + ":"
                    + peer.getPort() + " is with a peer whose certificate does not name " + name);
        }
        e.namesCovered().add(name);
    }

    @Override
    public boolean receive(InetSocketAddress from, ByteBuffer datagram, long now) {
        if (CommonHeader.peekType(datagram) != PacketType.HANDSHAKE) {
            return !engine.hasPeer(from) && sessions.awaitingKeys(from) && holdForKeys(from, datagram);
        }
        sessions.receive(from, datagram, now);
        handleSessionEvents(now);
        return true;
    }

    /** Keeps a copy of {@code datagram} until the handshake with {@code from} reports keys; false when the bounds say no. */
    private boolean holdForKeys(InetSocketAddress from, ByteBuffer datagram) {
        List<byte[]> held = heldForKeys.computeIfAbsent(from, p -> new ArrayList<>());
        if (held.size() >= MAX_HELD_PER_PEER || heldBytes + datagram.remaining() > MAX_HELD_BYTES) {
            return false;
        }
        byte[] copy = new byte[datagram.remaining()];
        datagram.get(copy);
        held.add(copy);
        heldBytes += copy.length;
        return true;
    }

    /** The handshake with {@code peer} ended: its held datagrams go to the engine (keys installed) or away. */
    private void releaseHeld(InetSocketAddress peer, boolean deliver, long now) {
        List<byte[]> held = heldForKeys.remove(peer);
        if (held == null) {
            return;
        }
        for (byte[] d : held) {
            heldBytes -= d.length;
            if (deliver) {
                engine.receive(peer, ByteBuffer.wrap(d), now);
            }
        }
    }

    @Override
    public void onTimer(long now) {
        sessions.onTimer(now);
        handleSessionEvents(now);
        // Held for an attempt that ended without a word (evicted, expired before completing a flight).
        if (!heldForKeys.isEmpty()) {
            for (InetSocketAddress peer : List.copyOf(heldForKeys.keySet())) {
                if (!sessions.awaitingKeys(peer)) {
                    releaseHeld(peer, false, now);
                }
            }
        }
        expireIdleSessions(now);
    }

    @Override
    public long nextTimerNanos() {
        return established.isEmpty() ? sessions.nextTimerNanos() : Math.min(sessions.nextTimerNanos(), nextIdleCheck);
    }

    @Override
    public InetSocketAddress pollTransmit(ByteBuffer out) {
        return sessions.pollTransmit(out);
    }

    /**
     * Nothing from the peer authenticated since the call began: the peer most likely lost the
     * session (it restarted), so drop ours and let the next call handshake again.
     */
    @Override
    public void callTimedOut(PendingCall call) {
        InetSocketAddress peer = call.peer();
        if (established.containsKey(peer) && engine.lastAuthenticatedNanos(peer) < call.startedNanos()) {
            endpoint.endSession(peer, new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer + " went silent"), null);
        }
    }

    @Override
    public void sessionEnded(InetSocketAddress peer) {
        established.remove(peer);
        unconfirmed.remove(peer);
    }

    @Override
    public void abandon(PendingCall call) {
        List<WaitingCall> calls = waiting.get(call.peer());
        if (calls != null) {
            calls.removeIf(w -> w.call == call);
        }
    }

    @Override
    public SSLSession tlsSession(InetSocketAddress peer) {
        Established e = established.get(peer);
        return e == null ? null : e.session();
    }

    @Override
    public SSLSession tlsSession(InetSocketAddress peer, long sessionId) {
        Established e = established.get(peer);
        return e == null || e.sessionId() != sessionId ? null : e.session();
    }

    @Override
    public int tlsSessionCount() {
        return established.size();
    }

    @Override
    public int pendingHandshakes() {
        return sessions.pendingServerHandshakes();
    }

    @Override
    public void close() {
        sessions.close();
        RpcException closed = new RpcException(RpcException.Reason.CLOSED, "endpoint closed");
        for (InetSocketAddress peer : List.copyOf(waiting.keySet())) {
            failWaiting(peer, closed);
        }
    }

    private void handleSessionEvents(long now) {
        SessionEvent event;
        while ((event = sessions.pollEvent()) != null) {
            switch (event) {
                case SessionEvent.Established e -> install(e, now);
                case SessionEvent.Failed f -> failed(f, now);
                case SessionEvent.Confirmed c -> unconfirmed.remove(c.peer());
            }
        }
    }

    private void install(SessionEvent.Established e, long now) {
        InetSocketAddress peer = e.peer();
        if (!roomForSession(peer)) {
            failWaiting(peer, new RpcException(RpcException.Reason.NO_SESSION,
                    "session with " + peer + " refused: " + sessions.config().maxSessions() + " sessions are open"));
            return;
        }
        endpoint.endSession(peer, new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer + " was replaced by a new handshake"),
                TransportStats.Counter.SESSIONS_REPLACED);
        long sessionId = engine.replacePeer(peer, e.keys().send(), e.keys().receive(), now);
        established.put(peer, new Established(sessionId, e.session()));
        releaseHeld(peer, true, now);
        submitWaiting(peer, now);
    }

    /** What a failed handshake tells the caller: the TLS reason, said once (some causes already name the peer). */
    private static String handshakeFailure(InetSocketAddress peer, SSLException cause) {
        String reason = String.valueOf(cause.getMessage());
        return reason.startsWith("TLS handshake with") ? reason : "TLS handshake with " + peer + " failed: " + reason;
    }

    private void failed(SessionEvent.Failed f, long now) {
        InetSocketAddress peer = f.peer();
        releaseHeld(peer, false, 0);
        RpcException error = new RpcException(RpcException.Reason.HANDSHAKE_FAILED,
                handshakeFailure(peer, f.cause()), f.cause());
        List<WaitingCall> sent = unconfirmed.remove(peer);
        boolean again = f.afterEstablished() && sent != null && !refusedUs(f.cause());
        if (again) {
            // The server refused after this side had keys: it never took these calls. They wait for
            // a fresh handshake instead of failing (bounded, should the server keep refusing).
            for (WaitingCall w : sent) {
                if (!w.call.isDone() && w.attempts < MAX_SESSIONS_PER_WAITING_CALL && engine.abandonCall(peer, w.call)) {
                    waiting.computeIfAbsent(peer, p -> new ArrayList<>()).add(new WaitingCall(w.call, w.request, w.attempts));
                }
            }
        }
        if (f.afterEstablished() && established.containsKey(peer)) {
            endpoint.endSession(peer, error, null);
        }
        if (again && waiting.containsKey(peer)) {
            stats.increment(TransportStats.Counter.HANDSHAKES_RETRIED);
            sessions.connect(peer, now);
            return;
        }
        failWaiting(peer, error);
    }

    /**
     * Whether a session with {@code peer} may be installed: at the cap, the least recently active
     * session without open RPCs makes room, so sessions from handshakes never grow without bound.
     */
    private boolean roomForSession(InetSocketAddress peer) {
        if (established.containsKey(peer) || established.size() < sessions.config().maxSessions()) {
            return true;
        }
        InetSocketAddress victim = engine.leastRecentlyActive(established.keySet());
        if (victim == null) {
            stats.increment(TransportStats.Counter.SESSION_CAP_REFUSED);
            return false;
        }
        endpoint.endSession(victim, new RpcException(RpcException.Reason.NO_SESSION, "session with " + victim + " evicted for a newer one"),
                TransportStats.Counter.SESSIONS_EVICTED);
        return true;
    }

    /**
     * Whether the server's alert refuses this side itself (its certificate, or access), which a new
     * handshake would not change; any other alert after our final flight means the server's engine
     * failed on something, possibly a flight someone else sent ahead of ours.
     */
    private static boolean refusedUs(SSLException cause) {
        String m = String.valueOf(cause.getMessage());
        return m.contains("certificate") || m.contains("unknown_ca") || m.contains("access_denied");
    }

    private void submitWaiting(InetSocketAddress peer, long now) {
        List<WaitingCall> calls = waiting.remove(peer);
        if (calls == null) {
            return;
        }
        List<WaitingCall> sent = new ArrayList<>();
        unconfirmed.put(peer, sent);
        for (WaitingCall w : calls) {
            if (w.call.isDone()) {
                continue;
            }
            try {
                checkName(w.call.peer());
                // A view: the request stays whole in case it has to go again over a new session.
                PreparedMessage prepared = engine.prepareCall(peer, w.request.duplicate());
                sent.add(new WaitingCall(w.call, w.request, w.attempts + 1));
                engine.submitCall(prepared, w.call, now, w.call.deadlineNanos());
                while (prepared.sealNextSegment() && engine.resume(prepared)) {
                    // Sealed on the I/O thread: these calls were queued, so no caller thread is at hand.
                }
            } catch (RpcException e) {
                w.call.completeExceptionally(e);
            }
        }
    }

    private void failWaiting(InetSocketAddress peer, RpcException error) {
        List<WaitingCall> calls = waiting.remove(peer);
        if (calls != null) {
            for (WaitingCall w : calls) {
                w.call.completeExceptionally(error);
            }
        }
    }

    /** Closes sessions that have been idle too long; runs about ten times per idle timeout. */
    private void expireIdleSessions(long now) {
        if (established.isEmpty() || now < nextIdleCheck) {
            return;
        }
        long idleNanos = sessions.config().idleTimeout().toNanos();
        nextIdleCheck = now + idleNanos / 10;
        for (InetSocketAddress peer : engine.idlePeers(established.keySet(), now, idleNanos)) {
            endpoint.endSession(peer, new RpcException(RpcException.Reason.NO_SESSION, "session with " + peer + " closed after being idle"),
                    TransportStats.Counter.SESSIONS_CLOSED_IDLE);
        }
    }
}
