package dev.sdp.session;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.wire.HandshakeHeader;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * One TLS 1.3 handshake attempt with one peer, carried in HANDSHAKE packets (docs/PROTOCOL.md
 * §2.4, §5b). Flights alternate: the client sends the even ones (0: ClientHello), the server the
 * odd ones; a flight is everything one side's {@link SSLEngine} produces in one turn. After the
 * client's final flight the server answers with an empty flight, which tells the client that the
 * server holds the keys too. Sans I/O: {@link Sessions} moves the bytes and runs the timers.
 */
final class Handshake {
    /** Largest flight accepted: room for long certificate chains. */
    static final int MAX_FLIGHT = 64 * 1024;
    /** Largest first flight (a ClientHello) a server buffers for a source it knows nothing about. */
    static final int MAX_FIRST_FLIGHT = 16 * 1024;
    private static final String[] PROTOCOLS = {"TLSv1.3"};
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    /** What one received fragment led to. */
    enum Step {
        /** Nothing to do (more fragments needed, or a duplicate). */
        NONE,
        /** The peer sent an earlier flight again: send our latest flight again. */
        REPEAT,
        /** A new flight of ours is ready to send. */
        SENT,
        /** The handshake completed on this side; a new flight of ours may be ready too. */
        ESTABLISHED,
        /** The client learned that the server completed too. */
        CONFIRMED,
        /** The handshake failed; {@link #failure()} says why, and an alert may be ready to send. */
        FAILED,
        /** The fragment does not fit this attempt (inconsistent lengths, a flight from the wrong side). */
        MALFORMED,
        /**
         * The fragment overlaps bytes of the flight already received and differs from them: one of
         * the copies is forged (link damage fails the checksum), so the partial flight is dropped
         * and rebuilt from the sender's retransmission rather than handed to TLS.
         */
        CONFLICT,
        /**
         * The peer's flight is complete and waits for the TLS engine ({@link #consumeFlight}), which
         * the caller runs here or on a worker; the outcome is one of the other steps.
         */
        FLIGHT,
        /**
         * A complete flight that cannot be the peer's (after the client completed, anything but the
         * server's empty confirmation or an alert under its keys): dropped, and the flight awaited
         * still.
         */
        IGNORED
    }

    final InetSocketAddress peer;
    final boolean client;
    final int nonce;
    final long startedNanos;
    private final SSLEngine engine;
    private final ByteBuffer appSink;
    private final ByteBuffer netOut;
    private int expectedFlight;
    private int ownFlightNumber = -1;
    private byte[] ownFlight;
    private byte[] assembling;
    private BitSet received;
    private int receivedBytes;
    private boolean established;
    private boolean confirmed;
    private SSLException failure;
    private SSLSession session;
    long nextRetransmitNanos;
    /**
     * On a server attempt started by a peer's ClientHello while our own client attempt with that
     * peer was under way (both ends at once, or someone spoofing the peer): our attempt, kept alive
     * until this one completes, so a single flight from anyone cannot end it.
     */
    Handshake displaced;
    /** Earlier attempts with this peer that failed on bytes no peer authenticated (see {@link #retried}). */
    int retries;
    /**
     * Bytes of datagrams received for this attempt and sent for it: until it has validated the
     * peer's address (it completed), a server sends at most three times what it received.
     */
    long bytesIn;
    long bytesOut;
    /** The fragment of our latest flight to send next, where the byte budget last cut it short. */
    int nextFragment;
    /** When our flight last went out again for a repeated peer flight (long ago at first, without overflowing a subtraction). */
    long lastRepeatNanos = Long.MIN_VALUE / 4;
    /** The peer's latest complete flight: a repeat of it must match it. */
    private byte[] lastPeerFlight;
    /**
     * Set by {@link Sessions}, on its own thread, when it has reported the attempt established: what
     * its thread decides by while a worker may be changing the engine's state ({@link #established()}
     * is the worker's to read until the attempt is {@link #back}).
     */
    boolean reportedEstablished;
        /** A complete peer flight waiting for {@link #consumeFlight}. */
    private byte[] flightToConsume;
    /**
     * Set while a worker runs {@link #consumeFlight}: the engine and our flight belong to it then,
     * so the attempt takes no fragments, sends nothing again, and is closed only once it is back.
     */
    private volatile boolean working;
    private boolean closeWhenBack;
    /** Least bytes a repeated fragment must carry to count as the peer sending its flight again. */
    private static final int MIN_REPEAT_FRAGMENT = 200;
    long retransmitNanos;
    /** The attempt's JFR event while a recording wants it, else null; committed once, by {@link #reportOutcome}. */
    private HandshakeEvent event;

    private Handshake(InetSocketAddress peer, boolean client, int nonce, SSLEngine engine, long now) {
        this.peer = peer;
        this.client = client;
        this.nonce = nonce;
        this.engine = engine;
        this.startedNanos = now;
        this.expectedFlight = client ? 1 : 0;
        SSLSession handshakeSession = engine.getSession();
        this.appSink = ByteBuffer.allocate(handshakeSession.getApplicationBufferSize());
        this.netOut = ByteBuffer.allocate(handshakeSession.getPacketBufferSize());
        if (HandshakeEvent.TYPE.isEnabled()) {
            event = new HandshakeEvent();
            event.begin();
        }
    }

    /** Records how the attempt ended ({@code established}, {@code failed}, {@code timed out}) in its JFR event, once. */
    void reportOutcome(String outcome, String failureReason) {
        HandshakeEvent e = event;
        event = null;
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.peer = peer.toString();
            e.client = client;
            e.suite = session != null ? session.getCipherSuite() : null;
            e.outcome = outcome;
            e.failureReason = failureReason;
            e.commit();
        }
    }

    /** Starts a client attempt: flight 0 (the ClientHello) is ready in {@link #ownFlight()}. */
    static Handshake client(HandshakeConfig config, InetSocketAddress peer, int nonce, long now) throws SSLException {
        String host = peer.getHostString();
        SSLEngine engine = config.sslContext().createSSLEngine(host, peer.getPort());
        engine.setUseClientMode(true);
        SSLParameters params = parameters(engine);
        if (config.verifyHostname()) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (isHostName(host)) {
            params.setServerNames(java.util.List.of(new SNIHostName(host)));
        }
        engine.setSSLParameters(params);
        Handshake h = new Handshake(peer, true, nonce, engine, now);
        long building = System.nanoTime();
        engine.beginHandshake();
        h.ownFlight = h.run(EMPTY);
        h.ownFlightNumber = 0;
        h.retransmitNanos = config.retransmitInterval().toNanos();
        // The interval counts from when the ClientHello can leave, not from `now`, taken before
        // building it: its key shares take from half a millisecond to tens of them in a cold JVM,
        // and counting that time made the first retransmission come early and draw a repeat of the
        // server's flight.
        h.nextRetransmitNanos = now + (System.nanoTime() - building) + h.retransmitNanos;
        return h;
    }

    /**
     * A fresh client attempt replacing this failed one: a new nonce and TLS engine, the same
     * deadline (it counts from the first attempt), its first flight ready to send now.
     */
    Handshake retried(HandshakeConfig config, int newNonce, long now) throws SSLException {
        Handshake h = client(config, peer, newNonce, startedNanos);
        h.retries = retries + 1;
        h.nextRetransmitNanos = now + h.retransmitNanos;
        return h;
    }

    /**
     * Whether this attempt failed in a way a fresh attempt may not: the peer's certificate was
     * refused (a fact about the peer, which retrying cannot change). Anything else (a damaged or
     * forged flight, an alert nobody authenticated) may have come from someone other than the peer.
     */
    boolean failedOnCertificate() {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException) {
                return true;
            }
        }
        return false;
    }

    /** Starts a server attempt for a ClientHello carrying {@code nonce}. */
    static Handshake server(HandshakeConfig config, InetSocketAddress peer, int nonce, long now) throws SSLException {
        SSLEngine engine = config.sslContext().createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters params = parameters(engine);
        params.setNeedClientAuth(config.clientAuth() == HandshakeConfig.ClientAuth.NEED);
        if (config.clientAuth() == HandshakeConfig.ClientAuth.WANT) {
            params.setWantClientAuth(true);
        }
        engine.setSSLParameters(params);
        engine.beginHandshake();
        Handshake h = new Handshake(peer, false, nonce, engine, now);
        h.nextRetransmitNanos = Long.MAX_VALUE;
        return h;
    }

    private static SSLParameters parameters(SSLEngine engine) {
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(PROTOCOLS);
        params.setCipherSuites(Arrays.stream(CipherSuite.values()).map(Enum::name).toArray(String[]::new));
        return params;
    }

    /** Whether {@code host} is a name (SNI carries names only), not an IP literal. */
    private static boolean isHostName(String host) {
        try {
            java.net.InetAddress.ofLiteral(host);
            return false;
        } catch (IllegalArgumentException notALiteral) {
            return !host.isEmpty();
        }
    }

    /** A server attempt whose complete flight to consume is the client's final one (flight 2). */
    boolean hasClientsFinalFlight() {
        return !client && expectedFlight == 4;
    }

    /** A server attempt still waiting for the whole of the client's first flight (nothing of it has gone to TLS). */
    boolean awaitingFirstFlight() {
        return !client && expectedFlight == 0;
    }

        /** Our latest flight, to send (again); null before the first. */
    byte[] ownFlight() {
        return ownFlight;
    }

    int ownFlightNumber() {
        return ownFlightNumber;
    }

    boolean established() {
        return established;
    }

    /** The client knows the server completed (its empty final flight arrived). */
    boolean confirmed() {
        return confirmed;
    }

    SSLException failure() {
        return failure;
    }

    /** The completed TLS session (after {@link Step#ESTABLISHED}). */
    SSLSession session() {
        return session;
    }

    /** Takes one fragment of a peer flight; the header is decoded and belongs to this attempt. */
    Step receive(HandshakeHeader h, ByteBuffer fragment) {
        if (working) {
            return Step.NONE; // its flight is with the TLS engine; the peer sends again if need be
        }
        if (failure != null || (h.flight & 1) == (client ? 0 : 1)) {
            return failure != null ? Step.NONE : Step.MALFORMED;
        }
        if (h.flight < expectedFlight) {
            // The peer did not get our answer to that flight: answer again, once per repetition, but
            // only for a real copy of its first fragment (a header alone costs nothing to send).
            return h.fragmentOffset == 0 && h.flight == expectedFlight - 2 && ownFlight != null && !(client && confirmed)
                    && repeatsLastFlight(fragment) ? Step.REPEAT : Step.NONE;
        }
        if (h.flight > expectedFlight) {
            return Step.MALFORMED;
        }
        long limit = ownFlightNumber < 0 ? MAX_FIRST_FLIGHT : MAX_FLIGHT;
        if (h.flightLength > limit || h.fragmentOffset + fragment.remaining() > h.flightLength
                || (assembling != null && assembling.length != h.flightLength)) {
            return Step.MALFORMED;
        }
        if (assembling == null) {
            assembling = new byte[(int) h.flightLength];
            received = new BitSet(assembling.length);
            receivedBytes = 0;
        }
        int at = (int) h.fragmentOffset;
        int n = fragment.remaining();
        if (conflicts(at, fragment)) {
            assembling = null;
            received = null;
            return Step.CONFLICT;
        }
        fragment.get(assembling, at, n);
        int before = received.cardinality();
        received.set(at, at + n);
        receivedBytes += received.cardinality() - before;
        if (receivedBytes < assembling.length) {
            return Step.NONE;
        }
        byte[] flight = assembling;
        assembling = null;
        received = null;
        expectedFlight += 2;
        // A copy: the TLS engine decrypts records in place.
        lastPeerFlight = flight.clone();
        flightToConsume = flight;
        return Step.FLIGHT;
    }

    /** Hands the complete flight to a worker: until {@link #back}, only the worker touches the attempt. */
    void lend() {
        working = true;
    }

    /** Whether a worker has the attempt. */
    boolean working() {
        return working;
    }

    /** The worker is done; returns false if the attempt was closed meanwhile (it is released now). */
    boolean back() {
        working = false;
        if (closeWhenBack) {
            engine.closeOutbound();
            return false;
        }
        return true;
    }

    /** The attempt failed on something the engine threw outside its own error handling. */
    Step failedOn(RuntimeException e) {
        return fail(new SSLHandshakeException("TLS engine failed: " + e));
    }

        /** Feeds the complete peer flight to the TLS engine (the expensive part: key agreement, signatures). */
    Step consumeFlight() {
        byte[] flight = flightToConsume;
        flightToConsume = null;
        return consume(flight);
    }

    /** Whether {@code fragment} (at offset 0) is a substantial copy of the start of the peer's last flight. */
    private boolean repeatsLastFlight(ByteBuffer fragment) {
        int n = fragment.remaining();
        return lastPeerFlight != null && n >= Math.min(lastPeerFlight.length, MIN_REPEAT_FRAGMENT) && n <= lastPeerFlight.length
                && fragment.equals(ByteBuffer.wrap(lastPeerFlight, 0, n));
    }

    /** Whether {@code fragment}, placed at {@code at}, differs from bytes already received there. */
    private boolean conflicts(int at, ByteBuffer fragment) {
        for (int i = received.nextSetBit(at); i >= 0 && i < at + fragment.remaining(); i = received.nextSetBit(i + 1)) {
            if (assembling[i] != fragment.get(fragment.position() + i - at)) {
                return true;
            }
        }
        return false;
    }

    private Step consume(byte[] flight) {
        if (client && established) {
            if (flight.length == 0) {
                confirmed = true;
                return Step.CONFIRMED;
            }
            // Anything but the empty confirmation should be the server's alert (it refused our final
            // flight). Only an alert the engine authenticated under the server's handshake keys ends
            // the session; bytes anyone could have sent are dropped, and the confirmation still awaited.
            try {
                appSink.clear();
                engine.unwrap(ByteBuffer.wrap(flight), appSink);
            } catch (SSLException e) {
                if (receivedAlert(e)) {
                    return fail(e);
                }
            } catch (RuntimeException e) {
                // The engine choked on junk: the same as any other junk.
            }
            expectedFlight -= 2;
            return Step.IGNORED;
        }
        boolean wasEstablished = established;
        byte[] out;
        try {
            out = run(ByteBuffer.wrap(flight));
        } catch (SSLException e) {
            return fail(e);
        }
        if (established && !client) {
            // The server's answer to the client's final flight is always empty; post-handshake
            // messages (session tickets) have no use here.
            out = new byte[0];
        }
        ownFlight = out;
        ownFlightNumber = expectedFlight - 1;
        return established && !wasEstablished ? Step.ESTABLISHED : Step.SENT;
    }

    /**
     * Whether the engine failed because the peer sent a fatal alert it could read (JSSE says
     * "Received fatal alert: …"), rather than on bytes it could not authenticate. After the client's
     * keys are in use the server's alerts are encrypted under its handshake traffic key, so a
     * received alert there is the server's own.
     */
    private static boolean receivedAlert(SSLException e) {
        return e.getMessage() != null && e.getMessage().contains("Received fatal alert");
    }

    private Step fail(SSLException e) {
        failure = e;
        ownFlight = alert();
        ownFlightNumber = expectedFlight - 1;
        return Step.FAILED;
    }

    /** Feeds {@code in} to the engine and collects what it produces, running its tasks inline. */
    private byte[] run(ByteBuffer in) throws SSLException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (int step = 0; step < 1000; step++) {
                HandshakeStatus status = engine.getHandshakeStatus();
                SSLEngineResult result;
                if (status == HandshakeStatus.NEED_TASK) {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                    continue;
                } else if (status == HandshakeStatus.NEED_WRAP) {
                    netOut.clear();
                    result = engine.wrap(EMPTY, netOut);
                    out.write(netOut.array(), 0, netOut.position());
                } else if ((status == HandshakeStatus.NEED_UNWRAP || status == HandshakeStatus.NEED_UNWRAP_AGAIN) && in.hasRemaining()) {
                    appSink.clear();
                    result = engine.unwrap(in, appSink);
                    if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                        throw new SSLHandshakeException("handshake flight ends inside a TLS record");
                    }
                } else {
                    break;
                }
                if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                    throw new SSLHandshakeException("the peer closed the TLS handshake");
                }
                if (result.getHandshakeStatus() == HandshakeStatus.FINISHED) {
                    established = true;
                }
            }
        } catch (SSLException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SSLHandshakeException("TLS engine failed: " + e, e);
        }
        if (established && session == null) {
            session = engine.getSession();
        }
        return out.toByteArray();
    }

    /** The alert the engine wants to send after a failure, or nothing. */
    private byte[] alert() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (int i = 0; i < 4 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; i++) {
                netOut.clear();
                engine.wrap(EMPTY, netOut);
                out.write(netOut.array(), 0, netOut.position());
            }
        } catch (SSLException | RuntimeException e) {
            // The alert is a courtesy; the failure stands either way.
        }
        return out.toByteArray();
    }

    /** Nothing more will be sent or received; releases the engine (once a worker that has it is done). */
    void close() {
        if (working) {
            closeWhenBack = true;
        } else {
            engine.closeOutbound();
        }
    }
}
