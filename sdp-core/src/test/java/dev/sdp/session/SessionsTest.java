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
     * Link corruption: for every datagram of a handshake, runs where one byte of it arrives flipped:
     * each header byte, and every 8th byte of the fragment and its last (a full handshake per run;
     * one checksum covers every byte alike). The damaged copy must never reach the TLS engine (which
     * would fail the handshake on it): it is dropped and counted, and the retransmission completes
     * the handshake.
     */
    @Test
    void aHandshakeSurvivesAFlippedByteAnywhereInAnyDatagram() {
        List<byte[]> clean = new java.util.ArrayList<>();
        assertTrue(shuttle(-1, -1, clean), "a clean handshake");
        int runs = 0;
        for (int d = 0; d < clean.size(); d++) {
            int length = clean.get(d).length;
            for (int b = 0; b < length; b = b < HandshakeHeader.LENGTH ? b + 1 : b + 8 < length || b == length - 1 ? b + 8 : length - 1) {
                assertTrue(shuttle(d, b, null), "datagram " + d + " with byte " + b + " flipped");
                runs++;
            }
        }
        assertTrue(clean.size() >= 4 && runs > 250, runs + " runs over " + clean.size() + " datagrams");
    }

    /**
     * A handshake between fresh endpoints, passing datagrams directly and advancing a fake clock
     * 20 ms whenever nothing moves; the {@code target}-th datagram arrives with byte {@code at}
     * flipped. Records the datagrams in {@code log} if given; returns whether both ends
     * established the same keys without a failure, and a damaged datagram was counted as such.
     */
    private static boolean shuttle(int target, int at, List<byte[]> log) {
        TransportStats cs = new TransportStats();
        TransportStats ss = new TransportStats();
        Sessions c = new Sessions(config(TestCredentials.get().anonymousClient()), cs, 1472);
        Sessions s = new Sessions(config(TestCredentials.get().server()), ss, 1472);
        long now = 1_000_000_000L;
        c.connect(SERVER, now);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        int sent = 0;
        SessionEvent clientEvent = null;
        SessionEvent serverEvent = null;
        for (int round = 0; round < 200 && (clientEvent == null || serverEvent == null || c.connecting(SERVER)); round++) {
            boolean moved = false;
            for (Sessions from : new Sessions[] {c, s}) {
                Sessions to = from == c ? s : c;
                InetSocketAddress source = from == c ? CLIENT : SERVER;
                while (from.pollTransmit(buffer.clear()) != null) {
                    byte[] d = java.util.Arrays.copyOf(buffer.array(), buffer.position());
                    if (log != null) {
                        log.add(d.clone());
                    }
                    if (sent++ == target) {
                        // Signatures vary by a byte or so between runs: stay within the datagram.
                        d[Math.min(at, d.length - 1)] ^= 0x5A;
                    }
                    to.receive(source, ByteBuffer.wrap(d), now);
                    moved = true;
                }
            }
            clientEvent = clientEvent != null ? clientEvent : c.pollEvent();
            serverEvent = serverEvent != null ? serverEvent : s.pollEvent();
            if (!moved) {
                now += 20 * MS;
                c.onTimer(now);
                s.onTimer(now);
            }
        }
        boolean damageCounted = target < 0 || cs.get(Counter.HANDSHAKE_PACKETS_CORRUPTED) + ss.get(Counter.HANDSHAKE_PACKETS_CORRUPTED) == 1;
        return clientEvent instanceof SessionEvent.Established ce && serverEvent instanceof SessionEvent.Established se
                && java.util.Arrays.equals(ce.keys().send().dataKeyBytes(), se.keys().receive().dataKeyBytes())
                && cs.get(Counter.HANDSHAKES_FAILED) + ss.get(Counter.HANDSHAKES_FAILED) == 0 && damageCounted;
    }

    /**
     * A forged fragment (a right checksum, other bytes) arriving after the genuine one it overlaps:
     * the server notices the two copies differ, drops the partial flight instead of handing TLS a
     * mix, and the client's retransmission completes the handshake.
     */
    @Test
    void aFragmentContradictingOneReceivedDropsThePartialFlight() {
        TransportStats cs = new TransportStats();
        TransportStats ss = new TransportStats();
        Sessions c = new Sessions(config(TestCredentials.get().anonymousClient()), cs, 256 + HandshakeHeader.LENGTH);
        Sessions s = new Sessions(config(TestCredentials.get().server()), ss, 1472);
        long now = 1_000_000_000L;
        c.connect(SERVER, now);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        List<byte[]> hello = new java.util.ArrayList<>();
        while (c.pollTransmit(buffer.clear()) != null) {
            hello.add(java.util.Arrays.copyOf(buffer.array(), buffer.position()));
        }
        assertTrue(hello.size() >= 2, "the ClientHello went in fragments");
        byte[] forged = hello.getFirst().clone();
        forged[HandshakeHeader.LENGTH + 40] ^= 1;
        HandshakeHeader.sealChecksum(ByteBuffer.wrap(forged));
        s.receive(CLIENT, ByteBuffer.wrap(hello.getFirst()), now);
        s.receive(CLIENT, ByteBuffer.wrap(forged), now);
        for (byte[] d : hello.subList(1, hello.size())) {
            s.receive(CLIENT, ByteBuffer.wrap(d), now);
        }
        assertEquals(1, ss.get(Counter.HANDSHAKE_FRAGMENTS_CONFLICTING));
        assertNull(s.pollTransmit(buffer.clear()), "no flight 1 from a flight 0 built of two different copies");
        for (int round = 0; round < 50 && !(c.pollEvent() instanceof SessionEvent.Established); round++) {
            now += 20 * MS;
            c.onTimer(now);
            while (c.pollTransmit(buffer.clear()) != null) {
                s.receive(CLIENT, ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position())), now);
            }
            while (s.pollTransmit(buffer.clear()) != null) {
                c.receive(SERVER, ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position())), now);
            }
        }
        assertEquals(1, cs.get(Counter.HANDSHAKES_COMPLETED), "the retransmitted ClientHello completed the handshake");
        assertEquals(0, ss.get(Counter.HANDSHAKES_FAILED));
    }

    /**
     * F10: an off-path attacker who saw the handshake sends the client a 5-byte "flight 3" (right
     * nonce, right checksum) just before the server's genuine empty one. The client's session must
     * survive it, and the genuine confirmation still counts.
     */
    @Test
    void aForgedFinalFlightDoesNotTearDownTheClientsSession() {
        TransportStats cs = new TransportStats();
        Sessions c = new Sessions(config(TestCredentials.get().anonymousClient()), cs, 1472);
        Sessions s = new Sessions(config(TestCredentials.get().server()), new TransportStats(), 1472);
        long now = 1_000_000_000L;
        c.connect(SERVER, now);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        HandshakeHeader h = new HandshakeHeader();
        boolean moved = true;
        while (moved) {
            moved = false;
            while (c.pollTransmit(buffer.clear()) != null) {
                s.receive(CLIENT, ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position())), now);
                moved = true;
            }
            while (s.pollTransmit(buffer.clear()) != null) {
                byte[] d = java.util.Arrays.copyOf(buffer.array(), buffer.position());
                assertTrue(h.decode(ByteBuffer.wrap(d)));
                if (h.flight == 3) {
                    ByteBuffer forged = ByteBuffer.allocate(HandshakeHeader.LENGTH + 5);
                    h.flightLength = 5;
                    h.encode(forged);
                    forged.position(HandshakeHeader.LENGTH).put(new byte[] {21, 3, 3, 0, 0});
                    HandshakeHeader.sealChecksum(forged.clear());
                    c.receive(SERVER, forged, now);
                }
                c.receive(SERVER, ByteBuffer.wrap(d), now);
                moved = true;
            }
        }
        assertInstanceOf(SessionEvent.Established.class, c.pollEvent());
        assertNull(c.pollEvent(), "no failure after the session was established");
        assertEquals(0, cs.get(Counter.HANDSHAKES_FAILED));
        assertEquals(Long.MAX_VALUE, c.nextTimerNanos(), "the genuine confirmation arrived: nothing left to retransmit");
    }

    /**
     * F10: an attacker sends the client, from the server's address, a ClientHello with a larger
     * nonce than the client's own (what a server connecting back at the same moment would send).
     * The client answers it but keeps its own attempt, so the real server's answer still completes
     * the handshake, with the real server's keys.
     */
    @Test
    void aSpoofedClientHelloFromTheServerDoesNotEndTheClientsAttempt() {
        TransportStats cs = new TransportStats();
        Sessions c = new Sessions(config(TestCredentials.get().anonymousClient()), cs, 1472);
        Sessions s = new Sessions(config(TestCredentials.get().server()), new TransportStats(), 1472);
        Sessions attacker = new Sessions(config(TestCredentials.get().anonymousClient()), new TransportStats(), 1472);
        long now = 1_000_000_000L;
        c.connect(SERVER, now);
        attacker.connect(CLIENT, now);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        HandshakeHeader h = new HandshakeHeader();
        while (attacker.pollTransmit(buffer.clear()) != null) {
            ByteBuffer spoof = ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position()));
            assertTrue(h.decode(spoof.duplicate()));
            h.handshakeNonce = -1; // larger than any other, unsigned
            h.encode(spoof.duplicate());
            HandshakeHeader.sealChecksum(spoof.duplicate());
            c.receive(SERVER, spoof, now);
        }
        List<SessionEvent> clientEvents = new java.util.ArrayList<>();
        List<SessionEvent> serverEvents = new java.util.ArrayList<>();
        for (int round = 0; round < 100 && (clientEvents.isEmpty() || serverEvents.isEmpty()); round++) {
            boolean moved = false;
            while (c.pollTransmit(buffer.clear()) != null) {
                // The client's answers to the spoof go to the real server too, which drops them.
                s.receive(CLIENT, ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position())), now);
                moved = true;
            }
            while (s.pollTransmit(buffer.clear()) != null) {
                c.receive(SERVER, ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position())), now);
                moved = true;
            }
            SessionEvent e;
            while ((e = c.pollEvent()) != null) {
                clientEvents.add(e);
            }
            while ((e = s.pollEvent()) != null) {
                serverEvents.add(e);
            }
            if (!moved) {
                now += 20 * MS;
                c.onTimer(now);
                s.onTimer(now);
            }
        }
        var established = assertInstanceOf(SessionEvent.Established.class, clientEvents.getFirst(), clientEvents.toString());
        var server = assertInstanceOf(SessionEvent.Established.class, serverEvents.getFirst(), serverEvents.toString());
        assertArrayEquals(established.keys().send().dataKeyBytes(), server.keys().receive().dataKeyBytes(), "keys agreed with the real server");
        assertEquals(1, clientEvents.size(), "and nothing failed: " + clientEvents);
    }

    /**
     * F10: an attacker who saw the ClientHello answers first, with a junk flight 1 under the right
     * nonce and checksum. The client's TLS engine fails on it; instead of failing the calls waiting
     * on the handshake, the client starts a fresh attempt, which the real server completes.
     */
    @Test
    void aForgedServerFlightMakesTheClientTryAgainNotFail() {
        TransportStats cs = new TransportStats();
        Sessions c = new Sessions(config(TestCredentials.get().anonymousClient()), cs, 1472);
        Sessions s = new Sessions(config(TestCredentials.get().server()), new TransportStats(), 1472);
        long now = 1_000_000_000L;
        c.connect(SERVER, now);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        HandshakeHeader h = new HandshakeHeader();
        boolean forged = false;
        SessionEvent event = null;
        for (int round = 0; round < 100 && event == null; round++) {
            boolean moved = false;
            while (c.pollTransmit(buffer.clear()) != null) {
                byte[] d = java.util.Arrays.copyOf(buffer.array(), buffer.position());
                if (!forged) {
                    // The attacker's answer arrives before the server's.
                    assertTrue(h.decode(ByteBuffer.wrap(d)));
                    ByteBuffer junk = ByteBuffer.allocate(HandshakeHeader.LENGTH + 60);
                    h.flight = 1;
                    h.flightLength = 60;
                    h.encode(junk);
                    junk.position(HandshakeHeader.LENGTH).put(new byte[] {22, 3, 3, 0, 55});
                    HandshakeHeader.sealChecksum(junk.clear());
                    c.receive(SERVER, junk, now);
                    forged = true;
                }
                s.receive(CLIENT, ByteBuffer.wrap(d), now);
                moved = true;
            }
            while (s.pollTransmit(buffer.clear()) != null) {
                c.receive(SERVER, ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position())), now);
                moved = true;
            }
            event = c.pollEvent();
            if (!moved) {
                now += 20 * MS;
                c.onTimer(now);
                s.onTimer(now);
            }
        }
        assertInstanceOf(SessionEvent.Established.class, event);
        assertEquals(1, cs.get(Counter.HANDSHAKES_RETRIED));
    }

    /** A server whose certificate the client refuses is not asked again: that is a fact about the server. */
    @Test
    void aRefusedCertificateIsNotRetried() {
        TransportStats cs = new TransportStats();
        Sessions c = new Sessions(config(TestCredentials.get().clientTrustingAnotherCa()), cs, 1472);
        Sessions s = new Sessions(config(TestCredentials.get().server()), new TransportStats(), 1472);
        long now = 1_000_000_000L;
        c.connect(SERVER, now);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        SessionEvent event = null;
        for (int round = 0; round < 20 && event == null; round++) {
            while (c.pollTransmit(buffer.clear()) != null) {
                s.receive(CLIENT, ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position())), now);
            }
            while (s.pollTransmit(buffer.clear()) != null) {
                c.receive(SERVER, ByteBuffer.wrap(java.util.Arrays.copyOf(buffer.array(), buffer.position())), now);
            }
            event = c.pollEvent();
        }
        assertInstanceOf(SessionEvent.Failed.class, event);
        assertEquals(0, cs.get(Counter.HANDSHAKES_RETRIED));
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
