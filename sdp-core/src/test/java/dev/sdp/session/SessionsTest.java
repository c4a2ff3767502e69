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
