package dev.sdp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.testing.SessionsEndpoint;
import dev.sdp.testing.TestCredentials;
import dev.sdp.testing.TestNetwork;
import dev.sdp.transport.TransportStats;
import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.wire.HandshakeHeader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The handshake layer without sockets: two {@link Sessions} on a simulated network with a fake clock, losing what a test picks. */
class SessionsTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 1000);
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 2000);
    private static final long MS = 1_000_000L;
    /** Made once: each call of {@link TestCredentials} issues and writes a certificate. */
    private static final javax.net.ssl.SSLContext SERVER_TLS = TestCredentials.get().server();
    private static final javax.net.ssl.SSLContext CLIENT_TLS = TestCredentials.get().anonymousClient();

    private final TestNetwork net = new TestNetwork(1);
    private final TransportStats clientStats = new TransportStats();
    private final TransportStats serverStats = new TransportStats();
    private final Sessions client = new Sessions(config(TestCredentials.get().anonymousClient()), clientStats, 1472);
    private final Sessions server = new Sessions(config(TestCredentials.get().server()), serverStats, 1472);
    private final List<SessionEvent> clientEvents = net.add(CLIENT, new SessionsEndpoint(client)).events();
    private final List<SessionEvent> serverEvents = net.add(SERVER, new SessionsEndpoint(server)).events();
    private final List<byte[]> clientDatagrams = net.log(CLIENT);
    private final Map<Integer, Integer> sentPerFlight = new HashMap<>();

    private static HandshakeConfig config(javax.net.ssl.SSLContext context) {
        return HandshakeConfig.builder(context).retransmitInterval(Duration.ofMillis(20)).timeout(Duration.ofSeconds(3)).build();
    }

    /**
     * Runs both ends for {@code nanos}, losing the datagrams {@code drop} picks (it sees the header
     * and how many datagrams of that flight number went before, this one included).
     */
    private void run(BiPredicate<HandshakeHeader, Integer> drop, long nanos) {
        HandshakeHeader h = new HandshakeHeader();
        net.allLinks().dropWhen = datagram -> {
            assertTrue(h.decode(datagram));
            return drop.test(h, sentPerFlight.merge(h.flight, 1, Integer::sum));
        };
        net.run(nanos);
    }

    private void assertSameKeys() {
        var c = assertInstanceOf(SessionEvent.Established.class, clientEvents.getFirst());
        var s = assertInstanceOf(SessionEvent.Established.class, serverEvents.getFirst());
        assertEquals(SERVER, c.peer());
        assertEquals(CLIENT, s.peer());
        assertArrayEquals(c.keys().send().dataKeyBytes(), s.keys().receive().dataKeyBytes());
        assertArrayEquals(c.keys().receive().dataKeyBytes(), s.keys().send().dataKeyBytes());
        assertEquals(1, clientEvents.size());
        assertEquals(1, serverEvents.size());
    }

    @Test
    void aLosslessHandshakeTakesFourFlights() {
        client.connect(SERVER, net.now());
        run((h, seen) -> false, 10 * MS);
        assertSameKeys();
        assertEquals(List.of(0, 1, 2, 3), sentPerFlight.keySet().stream().sorted().toList());
        assertEquals(0, clientStats.get(Counter.HANDSHAKE_FLIGHTS_REPEATED) + serverStats.get(Counter.HANDSHAKE_FLIGHTS_REPEATED));
        assertEquals(Long.MAX_VALUE, client.nextTimerNanos(), "the confirmed client has nothing left to do");
    }

    @ParameterizedTest(name = "flight {0} lost once")
    @ValueSource(ints = {0, 1, 2, 3})
    void everyLostFlightIsRecovered(int lostFlight) {
        client.connect(SERVER, net.now());
        run((h, seen) -> h.flight == lostFlight && seen == 1, 2_000 * MS);
        assertSameKeys();
        if (lostFlight % 2 == 1) {
            assertTrue(serverStats.get(Counter.HANDSHAKE_FLIGHTS_REPEATED) >= 1, "the server repeated its flight when the client's came again");
        }
        assertEquals(0, serverStats.get(Counter.HANDSHAKES_FAILED));
    }

    /**
     * A client and a server {@link Sessions} passing datagrams directly, with a fake clock that
     * moves 20 ms (the retransmission interval) whenever nothing moves; {@code toClient} and
     * {@code toServer} may change, replace or add to each datagram on its way (they return what to
     * deliver), and every event is kept.
     */
    private static final class Duo {
        final TransportStats clientStats = new TransportStats();
        final TransportStats serverStats = new TransportStats();
        final Sessions client;
        final Sessions server;
        final List<SessionEvent> clientEvents = new java.util.ArrayList<>();
        final List<SessionEvent> serverEvents = new java.util.ArrayList<>();
        /** Confirmations the client reported (kept apart: the tests look at what was established or failed). */
        int confirmations;
        java.util.function.Function<byte[], List<byte[]>> toClient = List::of;
        java.util.function.Function<byte[], List<byte[]>> toServer = List::of;
        long now = 1_000_000_000L;
        private final ByteBuffer buffer = ByteBuffer.allocate(2048);

        Duo(javax.net.ssl.SSLContext clientContext, int clientMaxDatagram) {
            client = new Sessions(config(clientContext), clientStats, clientMaxDatagram);
            server = new Sessions(config(SERVER_TLS), serverStats, 1472);
        }

        Duo() {
            this(CLIENT_TLS, 1472);
        }

        /** Connects and runs until both ends reported an event, or {@code rounds} rounds passed. */
        Duo handshake(int rounds) {
            client.connect(SERVER, now);
            for (int round = 0; round < rounds && !settled(); round++) {
                boolean moved = move(client, server, CLIENT, toServer) | move(server, client, SERVER, toClient);
                drainEvents();
                if (!moved) {
                    now += 20 * MS;
                    client.onTimer(now);
                    server.onTimer(now);
                }
            }
            return this;
        }

        /** Nothing more to wait for: the client failed, or both ends' latest events are established sessions. */
        private boolean settled() {
            return !client.connecting(SERVER) && !clientEvents.isEmpty() && (clientEvents.getLast() instanceof SessionEvent.Failed
                    || !serverEvents.isEmpty() && serverEvents.getLast() instanceof SessionEvent.Established);
        }

        private boolean move(Sessions from, Sessions to, InetSocketAddress source, java.util.function.Function<byte[], List<byte[]>> change) {
            boolean moved = false;
            while (from.pollTransmit(buffer.clear()) != null) {
                for (byte[] d : change.apply(java.util.Arrays.copyOf(buffer.array(), buffer.position()))) {
                    to.receive(source, ByteBuffer.wrap(d), now);
                }
                moved = true;
            }
            return moved;
        }

        void drainEvents() {
            SessionEvent e;
            while ((e = client.pollEvent()) != null) {
                if (e instanceof SessionEvent.Confirmed) {
                    confirmations++;
                } else {
                    clientEvents.add(e);
                }
            }
            while ((e = server.pollEvent()) != null) {
                serverEvents.add(e);
            }
        }

        /** Both ends reported one event, each an established session with the same keys. */
        boolean agreed() {
            return clientEvents.size() == 1 && serverEvents.size() == 1
                    && clientEvents.getFirst() instanceof SessionEvent.Established c && serverEvents.getFirst() instanceof SessionEvent.Established s
                    && java.util.Arrays.equals(c.keys().send().dataKeyBytes(), s.keys().receive().dataKeyBytes());
        }

        long failures() {
            return clientStats.get(Counter.HANDSHAKES_FAILED) + serverStats.get(Counter.HANDSHAKES_FAILED);
        }
    }

    /** {@code datagram} with its header changed by {@code change} and its checksum made right: what an attacker who saw it can send. */
    private static byte[] forge(byte[] datagram, java.util.function.Consumer<HandshakeHeader> change, byte[] fragment) {
        HandshakeHeader h = new HandshakeHeader();
        assertTrue(h.decode(ByteBuffer.wrap(datagram)));
        change.accept(h);
        byte[] body = fragment != null ? fragment : java.util.Arrays.copyOfRange(datagram, HandshakeHeader.LENGTH, datagram.length);
        ByteBuffer forged = ByteBuffer.allocate(HandshakeHeader.LENGTH + body.length);
        h.encode(forged);
        forged.position(HandshakeHeader.LENGTH).put(body);
        HandshakeHeader.sealChecksum(forged.clear());
        return forged.array();
    }

    private static int flight(byte[] datagram) {
        HandshakeHeader h = new HandshakeHeader();
        assertTrue(h.decode(ByteBuffer.wrap(datagram)));
        return h.flight;
    }

    /**
     * Link corruption: for every byte of every datagram of a handshake, a run where that byte
     * arrives flipped (a full handshake per run, on all cores). The damaged copy must never reach
     * the TLS engine (which would fail the handshake on it): it is dropped and counted, and the
     * retransmission completes the handshake.
     */
    @Test
    void aHandshakeSurvivesAFlippedByteAnywhereInAnyDatagram() {
        List<byte[]> clean = new java.util.ArrayList<>();
        Duo first = new Duo();
        first.toServer = d -> {
            clean.add(d);
            return List.of(d);
        };
        first.toClient = first.toServer;
        assertTrue(first.handshake(200).agreed(), "a clean handshake");
        List<int[]> cases = new java.util.ArrayList<>();
        for (int target = 0; target < clean.size(); target++) {
            for (int b = 0; b < clean.get(target).length; b++) {
                cases.add(new int[] {target, b});
            }
        }
        List<String> failed = cases.parallelStream().filter(c -> !survivesFlip(c[0], c[1]))
                .map(c -> "datagram " + c[0] + " byte " + c[1]).toList();
        assertEquals(List.of(), failed);
        assertTrue(clean.size() >= 4 && cases.size() > 1500, cases.size() + " runs over " + clean.size() + " datagrams");
    }

    /** A handshake whose {@code target}-th datagram arrives with byte {@code at} flipped: it completes, and the damage was counted. */
    private static boolean survivesFlip(int target, int at) {
        int[] sent = {0};
        Duo duo = new Duo();
        duo.toServer = d -> {
            if (sent[0]++ == target) {
                // Signatures vary by a byte or so between runs: stay within the datagram.
                d[Math.min(at, d.length - 1)] ^= 0x5A;
            }
            return List.of(d);
        };
        duo.toClient = duo.toServer;
        return duo.handshake(200).agreed() && duo.failures() == 0
                && duo.clientStats.get(Counter.HANDSHAKE_PACKETS_CORRUPTED) + duo.serverStats.get(Counter.HANDSHAKE_PACKETS_CORRUPTED) == 1;
    }

    /**
     * A forged fragment (a right checksum, other bytes) arriving after the genuine one it overlaps:
     * the server notices the two copies differ, drops the partial flight instead of handing TLS a
     * mix, and the client's retransmission completes the handshake.
     */
    @Test
    void aFragmentContradictingOneReceivedDropsThePartialFlight() {
        Duo duo = new Duo(TestCredentials.get().anonymousClient(), 256 + HandshakeHeader.LENGTH);
        boolean[] forged = {false};
        duo.toServer = d -> {
            if (forged[0]) {
                return List.of(d);
            }
            forged[0] = true;
            byte[] body = java.util.Arrays.copyOfRange(d, HandshakeHeader.LENGTH, d.length);
            body[40] ^= 1;
            return List.of(d, forge(d, h -> { }, body));
        };
        assertTrue(duo.handshake(100).agreed());
        assertEquals(0, duo.failures());
        assertEquals(1, duo.serverStats.get(Counter.HANDSHAKE_FRAGMENTS_CONFLICTING));
    }

    /**
     * F10: an off-path attacker who saw the handshake sends the client a 5-byte "flight 3" (right
     * nonce, right checksum) just before the server's genuine empty one. The client's session must
     * survive it, and the genuine confirmation still counts.
     */
    @Test
    void aForgedFinalFlightDoesNotTearDownTheClientsSession() {
        Duo duo = new Duo();
        duo.toClient = d -> flight(d) != 3 ? List.of(d)
                : List.of(forge(d, h -> h.flightLength = 5, new byte[] {21, 3, 3, 0, 0}), d);
        assertTrue(duo.handshake(100).agreed() && duo.failures() == 0, "no failure after the session was established: " + duo.clientEvents);
        assertEquals(Long.MAX_VALUE, duo.client.nextTimerNanos(), "the genuine confirmation arrived: nothing left to retransmit");
    }

    /**
     * F10: an attacker sends the client, from the server's address, a ClientHello with a larger
     * nonce than the client's own (what a server connecting back at the same moment would send).
     * The client answers it but keeps its own attempt, so the real server's answer still completes
     * the handshake, with the real server's keys.
     */
    @Test
    void aSpoofedClientHelloFromTheServerDoesNotEndTheClientsAttempt() {
        Duo duo = new Duo();
        Sessions attacker = new Sessions(config(TestCredentials.get().anonymousClient()), new TransportStats(), 1472);
        attacker.connect(CLIENT, duo.now);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        List<byte[]> spoofs = new java.util.ArrayList<>();
        while (attacker.pollTransmit(buffer.clear()) != null) {
            // Larger than any other nonce, unsigned.
            spoofs.add(forge(java.util.Arrays.copyOf(buffer.array(), buffer.position()), h -> h.handshakeNonce = -1, null));
        }
        duo.toServer = d -> {
            // Delivered to the client as the server's own ClientHello right after the client's went out.
            for (byte[] spoof : spoofs) {
                duo.client.receive(SERVER, ByteBuffer.wrap(spoof), duo.now);
            }
            spoofs.clear();
            return List.of(d);
        };
        assertTrue(duo.handshake(100).agreed(), "client " + duo.clientEvents + ", server " + duo.serverEvents);
    }

    /**
     * F10: an attacker who saw the ClientHello answers first, with a junk flight 1 under the right
     * nonce and checksum. The client's TLS engine fails on it; instead of failing the calls waiting
     * on the handshake, the client starts a fresh attempt, which the real server completes.
     */
    @Test
    void aForgedServerFlightMakesTheClientTryAgainNotFail() {
        Duo duo = new Duo();
        boolean[] forged = {false};
        duo.toServer = d -> {
            if (!forged[0]) {
                forged[0] = true;
                byte[] junk = new byte[60];
                junk[0] = 22;
                duo.client.receive(SERVER, ByteBuffer.wrap(forge(d, h -> {
                    h.flight = 1;
                    h.flightLength = junk.length;
                }, junk)), duo.now);
            }
            return List.of(d);
        };
        duo.handshake(100);
        // The server saw the first attempt fail (the client's alert) and the second complete.
        var client = assertInstanceOf(SessionEvent.Established.class, duo.clientEvents.getFirst(), duo.clientEvents.toString());
        var server = assertInstanceOf(SessionEvent.Established.class, duo.serverEvents.getLast(), duo.serverEvents.toString());
        assertEquals(1, duo.clientEvents.size());
        assertArrayEquals(client.keys().send().dataKeyBytes(), server.keys().receive().dataKeyBytes());
        assertEquals(1, duo.clientStats.get(Counter.HANDSHAKES_RETRIED));
    }

    /**
     * F6: an address that never answers (the victim of a spoofed source) sends a ClientHello, then
     * the cheapest repeats there are (header-only "flight 0, offset 0" fragments), and its
     * ClientHello again. The server must send it at most 3 bytes per byte received, as QUIC allows
     * before an address is validated.
     */
    @Test
    void aServerSendsAnUnvalidatedAddressAtMostThreeTimesWhatItReceived() {
        Sessions server = new Sessions(config(TestCredentials.get().server()), new TransportStats(), 1472);
        Sessions genuine = new Sessions(config(TestCredentials.get().anonymousClient()), new TransportStats(), 1472);
        genuine.connect(SERVER, 0);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        List<byte[]> hello = new java.util.ArrayList<>();
        while (genuine.pollTransmit(buffer.clear()) != null) {
            hello.add(java.util.Arrays.copyOf(buffer.array(), buffer.position()));
        }
        long in = 0;
        long out = 0;
        long now = 1_000_000_000L;
        List<byte[]> sent = new java.util.ArrayList<>(hello);
        for (int i = 0; i < 200; i++) {
            sent.add(forge(hello.getFirst(), h -> { }, new byte[0]));
        }
        sent.addAll(hello);
        for (byte[] d : sent) {
            in += d.length;
            server.receive(CLIENT, ByteBuffer.wrap(d), now);
            now += MS;
            server.onTimer(now);
            while (server.pollTransmit(buffer.clear()) != null) {
                out += buffer.position();
            }
        }
        assertTrue(out > 0, "the server answered");
        assertTrue(out <= 3 * in, "sent " + out + " bytes for " + in + " received");
    }

    /** The first fragment of a flight 0 that will never be completed: what an attacker holds a slot with. */
    private static byte[] partialFirstFlight(int nonce) {
        HandshakeHeader h = new HandshakeHeader();
        h.handshakeNonce = nonce;
        h.flightLength = 1000;
        ByteBuffer d = ByteBuffer.allocate(HandshakeHeader.LENGTH + 124);
        h.encode(d);
        HandshakeHeader.sealChecksum(d.clear());
        return d.array();
    }

    /**
     * F9: sixteen ports of the client's own IP address hold every slot that address has with
     * fragments of flights 0 that will never be completed. The client's ClientHello must still get a
     * slot (a random partial attempt gives way), and the handshake complete.
     */
    @Test
    void incompleteFirstFlightsDoNotLockASourceOut() {
        Duo duo = new Duo();
        int slots = config(TestCredentials.get().server()).maxPendingPerSource();
        for (int i = 0; i < slots; i++) {
            duo.server.receive(new InetSocketAddress("127.0.0.1", 3000 + i), ByteBuffer.wrap(partialFirstFlight(i + 1)), duo.now);
        }
        assertEquals(slots, duo.server.pendingServerHandshakes(), "the attacker holds every slot of the address");
        assertTrue(duo.handshake(200).agreed(), "client " + duo.clientEvents + ", server " + duo.serverEvents);
    }

    /**
     * F8: fifty ports of one address send ClientHellos at the same instant. Each handshake costs the
     * server a key agreement and a signature, so one address starts at most its burst at once and
     * then its rate per second; the rest are dropped (a genuine client retransmits).
     */
    @Test
    void aSourceStartsAtMostItsRateOfHandshakes() {
        HandshakeConfig limited = HandshakeConfig.builder(TestCredentials.get().server()).maxPendingPerSource(4)
                .handshakesPerSecondPerSource(4).build();
        TransportStats stats = new TransportStats();
        Sessions server = new Sessions(limited, stats, 1472);
        Sessions genuine = new Sessions(config(TestCredentials.get().anonymousClient()), new TransportStats(), 1472);
        genuine.connect(SERVER, 0);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        genuine.pollTransmit(buffer.clear());
        byte[] hello = java.util.Arrays.copyOf(buffer.array(), buffer.position());
        long now = 1_000_000_000L;
        for (int i = 0; i < 50; i++) {
            int nonce = i + 1;
            server.receive(new InetSocketAddress("127.0.0.1", 3000 + i), ByteBuffer.wrap(forge(hello, h -> h.handshakeNonce = nonce, null)), now);
        }
        assertEquals(4, stats.get(Counter.HANDSHAKES_ACCEPTED), "the burst");
        assertEquals(46, stats.get(Counter.HANDSHAKES_RATE_LIMITED));
        server.receive(new InetSocketAddress("127.0.0.2", 3000), ByteBuffer.wrap(forge(hello, h -> h.handshakeNonce = 99, null)), now);
        assertEquals(5, stats.get(Counter.HANDSHAKES_ACCEPTED), "another address is not held back");
        now += 500 * MS;
        for (int i = 0; i < 50; i++) {
            int nonce = 100 + i;
            server.receive(new InetSocketAddress("127.0.0.1", 4000 + i), ByteBuffer.wrap(forge(hello, h -> h.handshakeNonce = nonce, null)), now);
        }
        assertEquals(7, stats.get(Counter.HANDSHAKES_ACCEPTED), "half a second later, half a second's worth");
    }

    /**
     * The TLS engine's work on a flight (key agreement, signature) runs on the executor the layer is
     * given, not in the call that received the flight's last fragment: the thread driving the layer
     * goes back to other traffic at once, and the outcome is applied when the worker is done.
     */
    @Test
    void flightsGoToTheTlsEngineOnTheWorkExecutor() {
        java.util.ArrayDeque<Runnable> queued = new java.util.ArrayDeque<>();
        int[] readySignals = {0};
        Sessions server = new Sessions(config(TestCredentials.get().server()), new TransportStats(), 1472, queued::add, () -> readySignals[0]++);
        Sessions genuine = new Sessions(config(TestCredentials.get().anonymousClient()), new TransportStats(), 1472);
        genuine.connect(SERVER, 0);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        long now = 1_000_000_000L;
        while (genuine.pollTransmit(buffer.clear()) != null) {
            server.receive(CLIENT, ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position())), now);
        }
        assertEquals(1, queued.size(), "the ClientHello went to a worker");
        assertNull(server.pollTransmit(buffer.clear()), "no answer before the worker has run");
        queued.poll().run();
        assertEquals(1, readySignals[0], "the worker said its outcome waits");
        server.onTimer(now);
        assertTrue(server.pollTransmit(buffer.clear()) != null, "the outcome applied: flight 1 goes out");
    }

    /** Partial first flights expire quickly (about 100 ms), not after the whole handshake timeout. */
    @Test
    void anIncompleteFirstFlightExpiresSoon() {
        Sessions server = new Sessions(config(TestCredentials.get().server()), new TransportStats(), 1472);
        long now = 1_000_000_000L;
        server.receive(CLIENT, ByteBuffer.wrap(partialFirstFlight(7)), now);
        assertEquals(1, server.pendingServerHandshakes());
        server.onTimer(now + 50 * MS);
        assertEquals(1, server.pendingServerHandshakes());
        assertTrue(server.nextTimerNanos() <= now + 150 * MS, "the next timer is the partial flight's expiry");
        server.onTimer(now + 150 * MS);
        assertEquals(0, server.pendingServerHandshakes());
    }

    /** A server whose certificate the client refuses is not asked again: that is a fact about the server. */
    @Test
    void aRefusedCertificateIsNotRetried() {
        Duo duo = new Duo(TestCredentials.get().clientTrustingAnotherCa(), 1472).handshake(20);
        assertInstanceOf(SessionEvent.Failed.class, duo.clientEvents.getFirst());
        assertEquals(0, duo.clientStats.get(Counter.HANDSHAKES_RETRIED));
    }

    @Test
    void anUnansweredClientBacksOffAndFailsAtTheTimeout() {
        client.connect(SERVER, net.now());
        run((h, seen) -> true, 10_000 * MS);
        var failed = assertInstanceOf(SessionEvent.Failed.class, clientEvents.getFirst());
        assertTrue(failed.cause().getMessage().contains("did not complete"), failed.cause().getMessage());
        // 20 + 40 + ... ms, doubling up to one second, within three seconds: a handful of tries, not hundreds.
        assertTrue(clientDatagrams.size() >= 5 && clientDatagrams.size() <= 9, "ClientHello sent " + clientDatagrams.size() + " times");
        assertEquals(1, clientStats.get(Counter.HANDSHAKES_TIMED_OUT));
        assertEquals(Long.MAX_VALUE, client.nextTimerNanos());
        assertNull(client.pollTransmit(ByteBuffer.allocate(2048)));
    }

    @Test
    void aRepeatedConnectWhileOneRunsStartsNothingNew() {
        client.connect(SERVER, net.now());
        client.connect(SERVER, net.now());
        assertEquals(1, clientStats.get(Counter.HANDSHAKES_STARTED));
        assertTrue(client.connecting(SERVER));
        run((h, seen) -> false, 10 * MS);
        assertSameKeys();
    }
}
