// Design notes: everything an SDP endpoint decides, without I/O or threads, like the engine it owns
// (docs/ARCHITECTURE.md: sans-IO layers, fed datagrams and time, emitting datagrams, events and a
// timer deadline). It puts the handshake layer beside the engine (ARCHITECTURE.md "Sessions and
// handshakes"), lets a SessionSource decide how sessions come to exist, and ends every session in
// one place, so the engine and the source never disagree about which sessions are open.
package dev.sdp;

import dev.sdp.crypto.EpochKeys;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.transport.Engine;
import dev.sdp.transport.EngineEvent;
import dev.sdp.transport.PreparedMessage;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.ServerCall;
import dev.sdp.transport.TransmitBatch;
import dev.sdp.transport.TransportConfig;
import dev.sdp.transport.OperatorLog;
import dev.sdp.transport.TransportStats;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLSession;

/**
 * The protocol state of one socket, sans I/O: the {@link Engine}, the sessions and their policy.
 * Driven with an explicit clock: {@link #receive}, {@link #onTimer}, {@link #pollTransmit},
 * {@link #nextTimerNanos}, events out with {@link #drainEvents}. Not thread-safe: the socket calls
 * it under its lock, except the methods in the thread-safe section, which any thread may call.
 */
final class Endpoint {
    /** Sessions evicted under pressure (the session cap) are for an operator to see; replaced and idle ones are routine. */
    private static final OperatorLog SESSION_EVICTED = new OperatorLog(Endpoint.class, System.Logger.Level.WARNING);
    private static final OperatorLog SESSION_ENDED = new OperatorLog(Endpoint.class, System.Logger.Level.DEBUG);
    private final Engine<PendingCall> engine;
    private final TransportStats stats;
    private final SessionSource source;
    /** The handshake layer's datagrams as a batch source, made once. */
    private final TransmitBatch.Source handshakeDatagrams;

    /**
     * With {@code tls}, sessions come from handshakes; with {@code plaintextPeers}, from any peer in
     * plaintext; else only installed. Large messages' records are opened on {@code recordWork},
     * handshake flights go to their TLS engines on {@code handshakeWork}, and {@code workReady} says
     * when outcomes of either wait for {@link #onTimer} (see {@link Engine} and {@link dev.sdp.session.Sessions}).
     */
    Endpoint(TransportConfig config, TransportStats stats, HandshakeConfig tls, boolean plaintextPeers, Executor recordWork,
             Executor handshakeWork, Runnable workReady) {
        this.engine = new Engine<>(config, stats, recordWork, workReady);
        this.stats = stats;
        if (tls != null) {
            this.source = new HandshakeSessions(this, engine, tls, config, stats, handshakeWork, workReady);
        } else if (plaintextPeers) {
            this.source = new SessionSource.PlaintextPeers(engine);
        } else {
            this.source = new SessionSource.Installed();
        }
        this.handshakeDatagrams = source::pollTransmit;
    }

    // ---------------------------------------------------------------- thread-safe

    void installKeys(InetSocketAddress peer, EpochKeys sendKeys, EpochKeys receiveKeys) {
        engine.addPeer(peer, sendKeys, receiveKeys);
    }

    void installPlaintext(InetSocketAddress peer) {
        engine.addPlaintextPeer(peer);
    }

    /** The socket's receive buffer as the kernel reports it; grants are sized to it. */
    void receiveBuffer(int reportedBytes) {
        engine.receiveBuffer(reportedBytes);
    }

        boolean updateKeys(InetSocketAddress peer) {
        return engine.updateKeys(peer);
    }

    /** The keys of the encrypted session with {@code peer}, or null without one. */
    KeyEpochs keyEpochs(InetSocketAddress peer) {
        Engine.SessionEpochs epochs = engine.epochs(peer);
        return epochs == null ? null : new KeyEpochs(epochs.suite(), epochs.sendEpoch(), epochs.receiveEpoch());
    }

    SSLSession tlsSession(InetSocketAddress peer) {
        return source.tlsSession(peer);
    }

    /** The TLS session {@code call} arrived in, or null (installed keys, plaintext, or a session that has ended). */
    SSLSession tlsSession(ServerCall call) {
        return source.tlsSession(call.peer(), call.sessionId());
    }

    /** Whether {@code call}'s session is still the current one with its peer. */
    boolean isCurrent(ServerCall call) {
        return engine.isCurrent(call);
    }

    int tlsSessionCount() {
        return source.tlsSessionCount();
    }

    /** Seals the request's first segment on the calling thread. */
    PreparedMessage prepareCall(InetSocketAddress peer, ByteBuffer request) throws RpcException {
        source.checkName(peer);
        return engine.prepareCall(peer, request);
    }

    /** Seals an error response on the calling thread. */
    PreparedMessage prepareErrorReply(ServerCall call, String message) throws RpcException {
        return engine.prepareErrorReply(call, message);
    }

    /** Seals the response's first segment on the calling thread. */
    PreparedMessage prepareReply(ServerCall call, ByteBuffer response) throws RpcException {
        return engine.prepareReply(call, response);
    }

    /** See {@link SessionSource#hold}. */
    ByteBuffer holdForEstablishing(ByteBuffer request) {
        return source.hold(request);
    }

    // ---------------------------------------------------------------- under the lock

    /** A call found no session with {@code peer}: see {@link SessionSource#establish}. */
    SessionSource.Establishing establish(InetSocketAddress peer, PendingCall call, ByteBuffer request, long now) {
        return source.establish(peer, call, request, now);
    }

    void submitCall(PreparedMessage prepared, PendingCall call, long now) {
        engine.submitCall(prepared, call, now, call.deadlineNanos());
    }

    void submitReply(PreparedMessage prepared, long now) {
        engine.submitReply(prepared, now);
    }

    /** Tells the engine another segment of {@code prepared} is sealed; false once the message is gone. */
    boolean resume(PreparedMessage prepared) {
        return engine.resume(prepared);
    }

    /** Gives up {@code call} wherever it is: in the engine or still waiting for a session. */
    void abandon(PendingCall call) {
        if (!engine.abandonCall(call.peer(), call)) {
            source.abandon(call);
        }
    }

    int pendingHandshakes() {
        return source.pendingHandshakes();
    }

    /**
     * Ends the session with {@code peer}, however it ends: its calls fail with {@code error}, and
     * {@code counter} (null: none) counts it if there was one. Returns whether there was one.
     */
    boolean endSession(InetSocketAddress peer, RpcException error, TransportStats.Counter counter) {
        if (counter != null && engine.hasPeer(peer)) {
            // Counted before the session disappears from view, so whoever sees it gone sees the count.
            stats.increment(counter);
            (counter == TransportStats.Counter.SESSIONS_EVICTED ? SESSION_EVICTED : SESSION_ENDED).log("{0}", error.getMessage());
        }
        boolean ended = engine.removePeer(peer, error);
        source.sessionEnded(peer);
        return ended;
    }

    /** Processes one received datagram (position to limit). */
    void receive(InetSocketAddress from, ByteBuffer datagram, long now) {
        if (!source.receive(from, datagram, now)) {
            engine.receive(from, datagram, now);
        }
    }

    void onTimer(long now) {
        engine.onTimer(now);
        source.onTimer(now);
    }

    /** When {@link #onTimer} wants to run next (System.nanoTime scale), or Long.MAX_VALUE. */
    long nextTimerNanos() {
        return Math.min(engine.nextTimerNanos(), source.nextTimerNanos());
    }

    /** Fills {@code batch} with what is ready to send: handshake datagrams first, then the engine's. */
    int pollTransmit(long now, TransmitBatch batch) {
        return batch.fill(handshakeDatagrams) + engine.pollTransmit(now, batch);
    }

    /**
     * Moves the engine's events for the application to {@code out}, letting session policy see
     * calls that timed out and sessions the engine ended (the next call then handshakes again).
     */
    void drainEvents(List<EngineEvent<PendingCall>> out) {
        EngineEvent<PendingCall> e;
        while ((e = engine.pollEvent()) != null) {
            if (e instanceof EngineEvent.SessionEnded<PendingCall> ended) {
                if (!engine.hasPeer(ended.peer())) {
                    // Unless a new handshake has already replaced it in the same batch.
                    source.sessionEnded(ended.peer());
                }
                continue;
            }
            if (e instanceof EngineEvent.CallFailed<PendingCall> f && f.error().reason() == RpcException.Reason.TIMEOUT) {
                source.callTimedOut(f.attachment());
            }
            out.add(e);
        }
    }

    /** Fails every pending and waiting call; datagrams still queued (ACKs) may go out after. */
    void close() {
        engine.close();
        source.close();
    }
}
