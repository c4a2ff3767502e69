package dev.sdp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.testing.TestCredentials;
import dev.sdp.transport.TransportStats;
import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.wire.HandshakeHeader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The handshake layer without sockets: two {@link Sessions} joined by a lossy in-memory link and a fake clock. */
class SessionsTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 1000);
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 2000);
    private static final long MS = 1_000_000L;

    private final TransportStats clientStats = new TransportStats();
    private final TransportStats serverStats = new TransportStats();
    private final Sessions client = new Sessions(config(TestCredentials.get().anonymousClient()), clientStats, 1472);
    private final Sessions server = new Sessions(config(TestCredentials.get().server()), serverStats, 1472);
    private final List<SessionEvent> clientEvents = new ArrayList<>();
    private final List<SessionEvent> serverEvents = new ArrayList<>();
    private final Map<Integer, Integer> sentPerFlight = new HashMap<>();
    private long now = 1_000_000_000L;
    private int clientDatagrams;

    private static HandshakeConfig config(javax.net.ssl.SSLContext context) {
        return HandshakeConfig.builder(context).retransmitInterval(Duration.ofMillis(20)).timeout(Duration.ofSeconds(3)).build();
    }

    /**
     * Moves datagrams both ways, dropping those {@code drop} picks (it sees the header and how many
     * datagrams of that flight number went before), and advances the clock until nothing is left to do.
     */
    private void run(BiPredicate<HandshakeHeader, Integer> drop, long maxNanos) {
        long end = now + maxNanos;
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        HandshakeHeader h = new HandshakeHeader();
        while (now < end) {
            boolean moved = false;
            for (Sessions from : List.of(client, server)) {
                Sessions to = from == client ? server : client;
                InetSocketAddress dest;
                while ((dest = from.pollTransmit(buffer.clear())) != null) {
                    buffer.flip();
                    moved = true;
                    assertTrue(h.decode(buffer));
                    int seen = sentPerFlight.merge(h.flight, 1, Integer::sum);
                    if (from == client) {
                        clientDatagrams++;
                    }
                    if (!drop.test(h, seen)) {
                        to.receive(from == client ? CLIENT : SERVER, buffer, now);
                    }
                }
            }
            drain();
            if (!moved) {
                long next = Math.min(client.nextTimerNanos(), server.nextTimerNanos());
                if (next == Long.MAX_VALUE || next > end) {
                    return;
                }
                now = Math.max(now, next);
                client.onTimer(now);
                server.onTimer(now);
                drain();
            }
        }
    }

    private void drain() {
        SessionEvent e;
        while ((e = client.pollEvent()) != null) {
            clientEvents.add(e);
        }
        while ((e = server.pollEvent()) != null) {
            serverEvents.add(e);
        }
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
        client.connect(SERVER, now);
        run((h, seen) -> false, 10 * MS);
        assertSameKeys();
        assertEquals(List.of(0, 1, 2, 3), sentPerFlight.keySet().stream().sorted().toList());
        assertEquals(0, clientStats.get(Counter.HANDSHAKE_FLIGHTS_REPEATED) + serverStats.get(Counter.HANDSHAKE_FLIGHTS_REPEATED));
        assertEquals(Long.MAX_VALUE, client.nextTimerNanos(), "the confirmed client has nothing left to do");
    }

    @ParameterizedTest(name = "flight {0} lost once")
    @ValueSource(ints = {0, 1, 2, 3})
    void everyLostFlightIsRecovered(int lostFlight) {
        client.connect(SERVER, now);
        run((h, seen) -> h.flight == lostFlight && seen == 1, 2_000 * MS);
        assertSameKeys();
        if (lostFlight % 2 == 1) {
            assertTrue(serverStats.get(Counter.HANDSHAKE_FLIGHTS_REPEATED) >= 1, "the server repeated its flight when the client's came again");
        }
        assertEquals(0, serverStats.get(Counter.HANDSHAKES_FAILED));
    }

    @Test
    void anUnansweredClientBacksOffAndFailsAtTheTimeout() {
        client.connect(SERVER, now);
        run((h, seen) -> true, 10_000 * MS);
        var failed = assertInstanceOf(SessionEvent.Failed.class, clientEvents.getFirst());
        assertTrue(failed.cause().getMessage().contains("did not complete"), failed.cause().getMessage());
        // 20 + 40 + ... ms, doubling up to one second, within three seconds: a handful of tries, not hundreds.
        assertTrue(clientDatagrams >= 5 && clientDatagrams <= 9, "ClientHello sent " + clientDatagrams + " times");
        assertEquals(1, clientStats.get(Counter.HANDSHAKES_TIMED_OUT));
        assertEquals(Long.MAX_VALUE, client.nextTimerNanos());
        assertNull(client.pollTransmit(ByteBuffer.allocate(2048)));
    }

    @Test
    void aRepeatedConnectWhileOneRunsStartsNothingNew() {
        client.connect(SERVER, now);
        client.connect(SERVER, now);
        assertEquals(1, clientStats.get(Counter.HANDSHAKES_STARTED));
        assertTrue(client.connecting(SERVER));
        run((h, seen) -> false, 10 * MS);
        assertSameKeys();
    }
}
