package dev.sdp.session;

import dev.sdp.transport.OperatorLog;
import dev.sdp.transport.TransportStats;
import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.transport.WorkerOutcomes;
import dev.sdp.wire.HandshakeHeader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * The handshake layer of an endpoint, sans I/O like the engine: it starts client handshakes,
 * answers ClientHellos, moves flights in HANDSHAKE packets, retransmits, times out, and reports
 * {@link SessionEvent}s. Not thread-safe; the endpoint calls it under its lock with its clock.
 *
 * <p>Only clients retransmit on a timer (their latest flight, with doubling intervals, until the
 * server's next flight or its empty confirmation arrives); a server answers a repeated flight by
 * repeating its own. Unfinished server-side handshakes are capped per source IP address and in
 * total and expire after the handshake timeout, so a ClientHello flood holds bounded state. When
 * both ends start a handshake with each other at once, the attempt with the larger nonce goes on;
 * the other end answers it as server but keeps its own attempt alive (retransmitting, and taking
 * the peer's answers to it) until the answered one completes, so a ClientHello spoofed from the
 * peer's address cannot end a client's attempt.
 */
public final class Sessions {
    private static final OperatorLog SERVER_HANDSHAKE_FAILED = new OperatorLog(Sessions.class, System.Logger.Level.WARNING);
    private static final OperatorLog CLIENT_HANDSHAKE_FAILED = new OperatorLog(Sessions.class, System.Logger.Level.DEBUG);
    private static final OperatorLog HANDSHAKE_EVICTED = new OperatorLog(Sessions.class, System.Logger.Level.WARNING);
    private static final OperatorLog HANDSHAKE_RATE_LIMITED = new OperatorLog(Sessions.class, System.Logger.Level.WARNING);
    private static final long MAX_RETRANSMIT_NANOS = 1_000_000_000L;
    /**
     * Fresh attempts a client makes, within the handshake timeout, after attempts that failed on
     * something other than the server's certificate (a forged or damaged flight, an unauthenticated
     * alert): someone else's bytes must not fail the calls waiting on a handshake, but a peer that
     * really refuses must not be asked forever either.
     */
    static final int MAX_RETRIES = 2;
    /** A server sends an address it has not validated at most this many times the bytes it received from it (QUIC's factor). */
    static final int AMPLIFICATION_FACTOR = 3;
    /**
     * A client pads its first flight's datagrams to at least this many bytes in all (QUIC's 1200),
     * so that three times it covers a server's first flight with a certificate chain.
     */
    static final int MIN_FIRST_FLIGHT_BYTES = 1200;
    /**
     * How long a server keeps an attempt whose first flight has not arrived whole: a client sends
     * its ClientHello in one burst, so fragments still missing after this were lost (and come again)
     * or never existed (a slot held by someone who sends nothing more).
     */
    static final long PARTIAL_FIRST_FLIGHT_NANOS = 100_000_000L;
    private static final java.util.random.RandomGenerator EVICTION = new java.util.SplittableRandom();

    private record Datagram(InetSocketAddress to, byte[] bytes) { }

    /** A flight a worker fed to an attempt's TLS engine, and what came of it. */
    private record Done(Handshake attempt, Handshake.Step step) { }

    private final HandshakeConfig config;
    private final TransportStats stats;
    private final int maxFragment;
    private final long timeoutNanos;
    /** Shared: a SecureRandom seeds itself on first use, which would otherwise slow each new endpoint's first handshake. */
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Map<InetSocketAddress, Handshake> attempts = new HashMap<>();
    private final Map<InetAddress, Integer> pendingPerSource = new HashMap<>();
    /** Unfinished server-side attempts: what the caps count. */
    private final Set<Handshake> pending = Collections.newSetFromMap(new IdentityHashMap<>());
    private final ArrayDeque<Datagram> outbox = new ArrayDeque<>();
    private final ArrayDeque<SessionEvent> events = new ArrayDeque<>();
    private final HandshakeHeader header = new HandshakeHeader();
    private final HandshakeRate rate;
    private final Executor work;
    private final WorkerOutcomes<Done> done;
    private long nextDeadline = Long.MAX_VALUE;

    /**
     * A handshake layer that runs the TLS engines on the calling thread.
     *
     * @param maxDatagram largest UDP payload to send (the path MTU less IP and UDP headers)
     */
    public Sessions(HandshakeConfig config, TransportStats stats, int maxDatagram) {
        this(config, stats, maxDatagram, Runnable::run, () -> { });
    }

    /**
     * A handshake layer that feeds complete flights to the TLS engines (key agreement, signatures,
     * certificate checks: the expensive part, and the part a flood of ClientHellos makes a server do)
     * on {@code work}, so the thread that drives it stays free for established sessions;
     * {@code ready} runs on a worker when outcomes wait to be applied ({@link #onTimer} applies them).
     */
    public Sessions(HandshakeConfig config, TransportStats stats, int maxDatagram, Executor work, Runnable ready) {
        this.work = work;
        this.done = new WorkerOutcomes<>(ready);
        this.config = config;
        this.stats = stats;
        this.maxFragment = maxDatagram - HandshakeHeader.LENGTH;
        this.timeoutNanos = config.timeout().toNanos();
        this.rate = new HandshakeRate(config.handshakesPerSecondPerSource(), config.maxPendingPerSource());
        if (maxFragment < 256) {
            throw new IllegalArgumentException("datagrams of " + maxDatagram + " bytes are too small for handshakes");
        }
    }

    /** The settings. */
    public HandshakeConfig config() {
        return config;
    }

    /** Whether a handshake with {@code peer} is under way (in either role). */
    public boolean connecting(InetSocketAddress peer) {
        Handshake h = attempts.get(peer);
        return h != null && !h.reportedEstablished;
    }

    /**
     * Whether an attempt with {@code peer} has a flight with a worker and has not reported keys yet:
     * packets the peer sent right behind that flight (a client's first requests follow its final
     * flight) may be held until the keys are there.
     */
    public boolean awaitingKeys(InetSocketAddress peer) {
        Handshake h = attempts.get(peer);
        return h != null && h.working() && !h.reportedEstablished;
    }

        /**
     * Starts a client handshake with {@code peer} unless one with it is under way. A failure to
     * even start (a broken SSLContext) is reported as a {@link SessionEvent.Failed}.
     */
    public void connect(InetSocketAddress peer, long now) {
        if (connecting(peer)) {
            return;
        }
        Handshake h;
        try {
            h = Handshake.client(config, peer, newNonce(), now);
        } catch (SSLException | RuntimeException e) {
            stats.increment(Counter.HANDSHAKES_FAILED);
            events.add(new SessionEvent.Failed(peer, asSsl(e), false));
            return;
        }
        remove(attempts.put(peer, h));
        stats.increment(Counter.HANDSHAKES_STARTED);
        queueFlight(h);
        nextDeadline = Math.min(nextDeadline, h.nextRetransmitNanos);
    }

    /** Feeds an attempt's complete flight to its TLS engine on a worker; the outcome comes back through {@link #applyDone}. */
    private void lend(Handshake h) {
        h.lend();
        work.execute(() -> done.add(new Done(h, consume(h))));
    }

    /** Feeds the attempt's complete flight to TLS; on the thread the attempt is lent to. */
    private static Handshake.Step consume(Handshake h) {
        try {
            return h.consumeFlight();
        } catch (RuntimeException e) {
            return h.failedOn(e);
        }
    }

    private void consumeInline(Handshake h, long now) {
        h.lend();
        Handshake.Step step = consume(h);
        if (h.back()) {
            apply(h, step, now);
        }
    }

    /** Applies what workers made of flights; an attempt dropped meanwhile is closed instead. */
    private void applyDone(long now) {
        Done d;
        while ((d = done.poll()) != null) {
            Handshake h = d.attempt();
            if (!h.back()) {
                continue;
            }
            Handshake current = attempts.get(h.peer);
            if (current != h && current != null && current.displaced == h) {
                // Our attempt progressed while a ClientHello from the peer's address displaced it:
                // the peer answers us, so ours goes on (as when its answer arrives, see receive).
                current.displaced = null;
                remove(current);
                attempts.put(h.peer, h);
            } else if (current != h) {
                h.close();
                continue;
            }
            apply(h, d.step(), now);
        }
    }

    private static int newNonce() {
        int nonce;
        do {
            nonce = RANDOM.nextInt();
        } while (nonce == 0);
        return nonce;
    }

    private static SSLException asSsl(Exception e) {
        return e instanceof SSLException ssl ? ssl : new SSLHandshakeException("cannot start a TLS handshake: " + e);
    }

    /** Takes one HANDSHAKE datagram (position to limit). */
    public void receive(InetSocketAddress from, ByteBuffer datagram, long now) {
        HandshakeHeader h = header;
        if (!HandshakeHeader.checksumMatches(datagram)) {
            // Damaged on the way (or made up): never let its bytes near the TLS engine.
            stats.increment(Counter.HANDSHAKE_PACKETS_CORRUPTED);
            return;
        }
        if (!h.decode(datagram)) {
            stats.increment(Counter.HANDSHAKE_PACKETS_MALFORMED);
            return;
        }
        int size = datagram.remaining();
        ByteBuffer fragment = datagram.duplicate().position(datagram.position() + HandshakeHeader.LENGTH);
        if (h.fragmentOffset + fragment.remaining() > h.flightLength) {
            // Bytes past the end of the flight are padding, and must be zero.
            int end = fragment.position() + (int) (h.flightLength - h.fragmentOffset);
            for (int i = end; i < fragment.limit(); i++) {
                if (fragment.get(i) != 0) {
                    stats.increment(Counter.HANDSHAKE_PACKETS_MALFORMED);
                    return;
                }
            }
            fragment.limit(end);
        }
        boolean fromClient = (h.flight & 1) == 0;
        Handshake attempt = attempts.get(from);
        if (attempt != null && attempt.nonce == h.handshakeNonce && attempt.client != fromClient) {
            attempt.bytesIn += size;
            apply(attempt, attempt.receive(h, fragment), now);
            applyDone(now);
            return;
        }
        if (attempt != null && attempt.displaced != null && attempt.displaced.nonce == h.handshakeNonce && !fromClient) {
            // The peer answers our own attempt, so it is the server after all: the ClientHello that
            // displaced ours was not the peer's, or the peer gave way. Ours goes on; that one ends.
            Handshake mine = attempt.displaced;
            attempt.displaced = null;
            remove(attempt);
            attempts.put(from, mine);
            apply(mine, mine.receive(h, fragment), now);
            applyDone(now);
            return;
        }
        if (!fromClient || h.flight != 0) {
            stats.increment(Counter.HANDSHAKE_PACKETS_STALE);
            return;
        }
        if (attempt != null && attempt.client && !attempt.reportedEstablished
                && Integer.compareUnsigned(attempt.nonce, h.handshakeNonce) > 0) {
            // Both ends are connecting to each other: ours has the larger nonce, so the peer gives way.
            stats.increment(Counter.HANDSHAKE_PACKETS_STALE);
            return;
        }
        if (attempt != null && !attempt.client && pending.contains(attempt) && attempt.startedNanos > now - config.retransmitInterval().toNanos()) {
            // A second ClientHello so soon is a flood or a spoof more likely than a restart: keep the first.
            stats.increment(Counter.HANDSHAKE_PACKETS_STALE);
            return;
        }
        accept(from, h, fragment, size, attempt, now);
        applyDone(now);
    }

    /** A ClientHello of a new attempt, which replaces whatever attempt {@code from} had. */
    private void accept(InetSocketAddress from, HandshakeHeader h, ByteBuffer fragment, int size, Handshake previous, long now) {
        InetAddress source = from.getAddress();
        if (!rate.tryAcquire(source, now)) {
            stats.increment(Counter.HANDSHAKES_RATE_LIMITED);
            HANDSHAKE_RATE_LIMITED.log("ClientHellos from {0} exceed {1} a second: ignored", source,
                    config.handshakesPerSecondPerSource());
            return;
        }
        boolean replacingPending = previous != null && pending.contains(previous);
        if (!replacingPending) {
            // At a cap, an unfinished attempt chosen at random gives way, rather than the newcomer being
            // refused: whoever fills the slots cannot keep out the clients arriving after them.
            boolean sourceFull = pendingPerSource.getOrDefault(source, 0) >= config.maxPendingPerSource();
            if (sourceFull || pending.size() >= config.maxPendingTotal()) {
                evictRandomPending(sourceFull ? source : null);
            }
        }
        Handshake server;
        try {
            server = Handshake.server(config, from, h.handshakeNonce, now);
        } catch (SSLException | RuntimeException e) {
            stats.increment(Counter.HANDSHAKES_FAILED);
            return;
        }
        if (previous != null && previous.client && !previous.reportedEstablished) {
            // Both ends at once (or a spoof): answer, but keep our attempt until this one completes.
            server.displaced = previous;
            previous = null;
        } else if (previous != null && previous.displaced != null) {
            server.displaced = previous.displaced;
            previous.displaced = null;
        }
        remove(previous);
        attempts.put(from, server);
        pending.add(server);
        pendingPerSource.merge(source, 1, Integer::sum);
        stats.increment(Counter.HANDSHAKES_ACCEPTED);
        server.bytesIn = size;
        apply(server, server.receive(h, fragment), now);
        nextDeadline = Math.min(nextDeadline, expiry(server));
    }

    /** Ends a random unfinished server attempt (from {@code source} only, unless null) to make room. */
    private void evictRandomPending(InetAddress source) {
        Handshake victim = null;
        int seen = 0;
        for (Handshake h : pending) {
            if ((source == null || h.peer.getAddress().equals(source)) && EVICTION.nextInt(++seen) == 0) {
                victim = h;
            }
        }
        if (victim == null) {
            return;
        }
        stats.increment(Counter.HANDSHAKES_EVICTED);
        HANDSHAKE_EVICTED.log("handshake state is at its cap ({0} unfinished attempts): evicted a random one, from {1}",
                pending.size(), victim.peer);
        removeRestoringDisplaced(victim);
    }

    /**
     * Ends attempt {@code h}; our own client attempt it displaced (both ends at once), which calls
     * wait on, goes on in its place. Returns whether there was one.
     */
    private boolean removeRestoringDisplaced(Handshake h) {
        Handshake mine = h.displaced;
        h.displaced = null;
        remove(h);
        if (mine == null) {
            return false;
        }
        attempts.put(mine.peer, mine);
        return true;
    }

    /** When an attempt expires: soon while its first flight is incomplete, else at the handshake timeout. */
    private long expiry(Handshake h) {
        return h.startedNanos + (h.awaitingFirstFlight() ? PARTIAL_FIRST_FLIGHT_NANOS : timeoutNanos);
    }

    private void apply(Handshake h, Handshake.Step step, long now) {
        switch (step) {
            case NONE -> { }
            case FLIGHT -> {
                if (h.hasClientsFinalFlight() && config.clientAuth() == HandshakeConfig.ClientAuth.NONE) {
                    // Without a client certificate the final flight is a Finished message: a MAC check,
                    // microseconds, not worth two thread hand-offs on the first RPC's path. Flights that
                    // cost key agreement or signatures (and can be sent by anyone) go to the workers.
                    consumeInline(h, now);
                } else {
                    lend(h);
                }
            }
            case MALFORMED -> stats.increment(Counter.HANDSHAKE_PACKETS_MALFORMED);
            case CONFLICT -> stats.increment(Counter.HANDSHAKE_FRAGMENTS_CONFLICTING);
            case IGNORED -> stats.increment(Counter.HANDSHAKE_PACKETS_STALE);
            case REPEAT -> {
                // At most once per half retransmission interval: a client retransmits no faster.
                if (now - h.lastRepeatNanos >= config.retransmitInterval().toNanos() / 2) {
                    h.lastRepeatNanos = now;
                    stats.increment(Counter.HANDSHAKE_FLIGHTS_REPEATED);
                    queueFlight(h);
                }
            }
            case SENT -> {
                queueFlight(h);
                restartRetransmission(h, now);
            }
            case ESTABLISHED -> established(h, now);
            case CONFIRMED -> {
                attempts.remove(h.peer);
                events.add(new SessionEvent.Confirmed(h.peer));
            }
            case FAILED -> {
                queueFlight(h);
                stats.increment(Counter.HANDSHAKES_FAILED);
                h.reportOutcome("failed", String.valueOf(h.failure().getMessage()));
                // A client's failure reaches its caller as an exception; a server's only an operator sees.
                (h.client ? CLIENT_HANDSHAKE_FAILED : SERVER_HANDSHAKE_FAILED).log("TLS handshake with {0} failed: {1}",
                        h.peer, h.failure().getMessage());
                if (!removeRestoringDisplaced(h) && !retry(h, now)) {
                    events.add(new SessionEvent.Failed(h.peer, h.failure(), h.established()));
                }
            }
        }
    }

    /** Starts a fresh attempt in place of a failed client attempt, when that is allowed; returns whether it did. */
    private boolean retry(Handshake failed, long now) {
        if (!failed.client || failed.established() || failed.failedOnCertificate() || failed.retries >= MAX_RETRIES
                || now >= failed.startedNanos + timeoutNanos) {
            return false;
        }
        Handshake h;
        try {
            h = failed.retried(config, newNonce(), now);
        } catch (SSLException | RuntimeException e) {
            return false;
        }
        attempts.put(h.peer, h);
        stats.increment(Counter.HANDSHAKES_RETRIED);
        queueFlight(h);
        nextDeadline = Math.min(nextDeadline, h.nextRetransmitNanos);
        return true;
    }

    private void established(Handshake h, long now) {
        ExporterKeys.Directions keys;
        try {
            keys = ExporterKeys.derive(h.session(), h.client);
        } catch (SSLException e) {
            stats.increment(Counter.HANDSHAKES_FAILED);
            remove(h);
            events.add(new SessionEvent.Failed(h.peer, e, false));
            return;
        }
        stats.increment(Counter.HANDSHAKES_COMPLETED);
        h.reportOutcome("established", null);
        h.reportedEstablished = true;
        if (h.displaced != null) {
            // The peer's attempt won; the calls waiting on ours use its session.
            h.displaced.close();
            h.displaced = null;
        }
        unpend(h);
        queueFlight(h);
        restartRetransmission(h, now);
        events.add(new SessionEvent.Established(h.peer, keys, h.session()));
    }

    private void restartRetransmission(Handshake h, long now) {
        if (h.client) {
            h.retransmitNanos = config.retransmitInterval().toNanos();
            h.nextRetransmitNanos = now + h.retransmitNanos;
            nextDeadline = Math.min(nextDeadline, h.nextRetransmitNanos);
        }
    }

    private void remove(Handshake h) {
        if (h != null && attempts.get(h.peer) == h) {
            attempts.remove(h.peer);
        }
        if (h != null) {
            unpend(h);
            h.close();
        }
    }

    private void unpend(Handshake h) {
        if (pending.remove(h)) {
            pendingPerSource.computeIfPresent(h.peer.getAddress(), (a, n) -> n == 1 ? null : n - 1);
        }
    }

    /**
     * Splits our latest flight into HANDSHAKE datagrams. Only a server's confirmation is empty (one
     * header-only datagram); an empty alert is not sent. A client's flight 0 is padded with zeros to
     * {@value #MIN_FIRST_FLIGHT_BYTES} bytes in all. A server that has not validated the peer's
     * address sends fragments only while they fit in {@value #AMPLIFICATION_FACTOR} times what it
     * received, and goes on from the first fragment left out when the peer sends again.
     */
    private void queueFlight(Handshake h) {
        byte[] flight = h.ownFlight();
        if (flight == null || (flight.length == 0 && (h.client || !h.established()))) {
            return;
        }
        HandshakeHeader out = new HandshakeHeader();
        out.handshakeNonce = h.nonce;
        out.flight = h.ownFlightNumber();
        out.flightLength = flight.length;
        int fragments = Math.max(1, (flight.length + maxFragment - 1) / maxFragment);
        boolean limited = !h.client && !h.established();
        int first = limited ? h.nextFragment % fragments : 0;
        int padding = h.client && out.flight == 0
                ? Math.max(0, MIN_FIRST_FLIGHT_BYTES - (flight.length + fragments * HandshakeHeader.LENGTH)) : 0;
        for (int k = 0; k < fragments; k++) {
            int i = (first + k) % fragments;
            int offset = i * maxFragment;
            int n = Math.min(maxFragment, flight.length - offset);
            int pad = i == fragments - 1 ? Math.min(padding, maxFragment - n) : 0;
            int size = HandshakeHeader.LENGTH + n + pad;
            if (limited && h.bytesOut + size > AMPLIFICATION_FACTOR * h.bytesIn) {
                h.nextFragment = i;
                stats.increment(Counter.HANDSHAKE_AMPLIFICATION_LIMITED);
                return;
            }
            ByteBuffer datagram = ByteBuffer.allocate(size);
            out.fragmentOffset = offset;
            out.encode(datagram);
            datagram.position(HandshakeHeader.LENGTH).put(flight, offset, n);
            HandshakeHeader.sealChecksum(datagram.clear());
            outbox.add(new Datagram(h.peer, datagram.array()));
            h.bytesOut += size;
        }
        h.nextFragment = 0;
    }

    /** Writes the next datagram to send at {@code out}'s position and returns its destination, or null. */
    public InetSocketAddress pollTransmit(ByteBuffer out) {
        Datagram d = outbox.poll();
        if (d == null) {
            return null;
        }
        out.put(d.bytes);
        return d.to;
    }

    /** The next event, or null. */
    public SessionEvent pollEvent() {
        return events.poll();
    }

    /** When {@link #onTimer} wants to run (System.nanoTime scale), or Long.MAX_VALUE. */
    public long nextTimerNanos() {
        return attempts.isEmpty() ? Long.MAX_VALUE : nextDeadline;
    }

    /** Retransmits client flights that went unanswered and expires handshakes past their timeout. */
    public void onTimer(long now) {
        applyDone(now);
        if (now < nextDeadline) {
            return;
        }
        long next = Long.MAX_VALUE;
        List<Handshake> restored = new ArrayList<>();
        for (Iterator<Handshake> it = attempts.values().iterator(); it.hasNext(); ) {
            Handshake h = it.next();
            Handshake mine = h.displaced;
            if (mine != null && now >= mine.startedNanos + timeoutNanos) {
                h.displaced = null;
                expire(mine);
                mine = null;
            }
            if (mine != null) {
                next = Math.min(next, retransmitIfDue(mine, now));
            }
            long expiry = expiry(h);
            if (now >= expiry) {
                it.remove();
                h.displaced = null;
                expire(h);
                if (mine != null) {
                    restored.add(mine);
                    next = Math.min(next, mine.startedNanos + timeoutNanos);
                }
                continue;
            }
            next = Math.min(next, Math.min(expiry, retransmitIfDue(h, now)));
        }
        for (Handshake mine : restored) {
            attempts.put(mine.peer, mine);
        }
        nextDeadline = next;
    }

    /** Sends an unconfirmed client's latest flight again if its interval is up; returns when it is next due. */
    private long retransmitIfDue(Handshake h, long now) {
        if (!h.client || h.confirmed()) {
            return Long.MAX_VALUE;
        }
        if (h.working()) {
            return h.nextRetransmitNanos; // the engine is busy with the server's answer
        }
        if (now >= h.nextRetransmitNanos) {
            queueFlight(h);
            h.retransmitNanos = Math.min(2 * h.retransmitNanos, MAX_RETRANSMIT_NANOS);
            h.nextRetransmitNanos = now + h.retransmitNanos;
        }
        return h.nextRetransmitNanos;
    }

    private void expire(Handshake h) {
        boolean wasPending = pending.contains(h);
        unpend(h);
        h.close();
        if (h.reportedEstablished) {
            // A completed server attempt was only kept to confirm again; an unconfirmed client
            // keeps its keys: its calls show whether the server has them.
            return;
        }
        stats.increment(Counter.HANDSHAKES_TIMED_OUT);
        h.reportOutcome("timed out", null);
        if (h.client || (wasPending && !h.awaitingFirstFlight())) {
            events.add(new SessionEvent.Failed(h.peer, new SSLHandshakeException("TLS handshake with " + h.peer
                    + " did not complete within " + config.timeout().toMillis() + " ms"), false));
        }
    }

    /** Unfinished server-side handshakes (for tests and diagnostics). */
    public int pendingServerHandshakes() {
        return pending.size();
    }

    /** Drops every attempt (the endpoint is closing). */
    public void close() {
        for (Handshake h : attempts.values()) {
            if (h.displaced != null) {
                h.displaced.close();
            }
            h.close();
        }
        attempts.clear();
        pending.clear();
        pendingPerSource.clear();
        outbox.clear();
    }
}
