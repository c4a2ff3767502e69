package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.testing.EngineEndpoint;
import dev.sdp.testing.TestNetwork;
import dev.sdp.transport.TransportStats.Counter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Many clients sending large requests to one server at once, on a simulated network where they
 * share the server's port: the server's grants decide who sends, shortest remaining first, and a
 * client that stops answering must not stop the others.
 */
class GrantFairnessTest {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 2002);
    /** One request size per client, all distinct and beyond the unscheduled bytes, not in client order. */
    private static final int[] SIZES = {700_000, 1_300_000, 400_000, 1_000_000, 250_000, 850_000, 1_150_000, 550_000};
    /** The client with the shortest request: among the first the server grants. */
    private static final int SHORTEST = 4;

    private final TestNetwork net = new TestNetwork(31);
    private final List<EngineEndpoint> clients = new ArrayList<>();
    private final List<byte[]> requests = new ArrayList<>();
    private final List<Object> calls = new ArrayList<>();
    /** Request sizes in the order the server completed the requests. */
    private final List<Integer> served = new ArrayList<>();
    private EngineEndpoint server;

    private static TransportConfig.Builder config() {
        return TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofMillis(400));
    }

    private static InetSocketAddress client(int i) {
        return new InetSocketAddress("127.0.0.1", 3001 + i);
    }

    /** An echo server and one client per size, each of which starts its request at the same instant. */
    private void start(TransportConfig config) throws RpcException {
        server = net.engine(SERVER, config);
        server.handler(request -> {
            served.add(request.remaining());
            return request;
        });
        for (int i = 0; i < SIZES.length; i++) {
            EngineEndpoint client = net.engine(client(i), config);
            client.connect(server, true);
            clients.add(client);
        }
        for (int i = 0; i < SIZES.length; i++) {
            byte[] request = new byte[SIZES[i]];
            net.random().nextBytes(request);
            requests.add(request);
            calls.add(clients.get(i).call(SERVER, ByteBuffer.wrap(request)));
        }
    }

    private boolean finished(int i) {
        return clients.get(i).finished(calls.get(i));
    }

    /** Whether the calls of all clients {@code which} picks have completed or failed. */
    private boolean allFinished(IntPredicate which) {
        return IntStream.range(0, SIZES.length).filter(which).allMatch(this::finished);
    }

    private void assertEchoed(int i) {
        EngineEndpoint client = clients.get(i);
        ByteBuffer response = client.responses().get(calls.get(i));
        assertNotNull(response, () -> "client " + i + ": " + client.failures().get(calls.get(i)) + "; server " + server.stats());
        assertEquals(ByteBuffer.wrap(requests.get(i)), response, "client " + i + " got its request back byte for byte");
    }

    /** Runs until the shortest request's client has been granted more than it sent unscheduled. */
    private void untilShortestIsGranted() {
        assertTrue(net.runUntil(() -> clients.get(SHORTEST).stats().get(Counter.GRANTS_RECEIVED) > 0, 10 * MS));
    }

    @Test
    void everyLargeRequestCompletesAndTheServerFinishesShorterOnesFirst() throws RpcException {
        start(config().build());
        assertTrue(net.runUntil(() -> allFinished(i -> true), SECOND), () -> "server " + server.stats());
        for (int i = 0; i < SIZES.length; i++) {
            assertEchoed(i);
        }
        assertEquals(IntStream.of(SIZES).sorted().boxed().toList(), served, "requests completed in order of size");
        assertTrue(server.stats().get(Counter.GRANTS_SENT) > SIZES.length, "the requests were granted");
    }

    @Test
    void aClientStarvedOfCpuHoldsUpNoOneAndCompletesWhenItRunsAgain() throws RpcException {
        start(config().build());
        untilShortestIsGranted();
        long wakes = net.now() + 50 * MS;
        net.starve(client(SHORTEST), 50 * MS);
        assertTrue(net.runUntil(() -> allFinished(i -> i != SHORTEST), 50 * MS), () -> "server " + server.stats());
        assertTrue(net.now() < wakes, "the others completed while it was starved");
        assertFalse(finished(SHORTEST), "nothing of it moved while it was starved");
        assertTrue(net.runUntil(() -> finished(SHORTEST), SECOND));
        for (int i = 0; i < SIZES.length; i++) {
            assertEchoed(i);
        }
        assertTrue(clients.get(SHORTEST).completions().getFirst().at() >= wakes);
    }

    /**
     * The server grants one request at a time, and the client it is granting disappears: once the
     * server gives up on that request, it must grant the others, which must still be waiting.
     */
    @Test
    void aVanishedClientDoesNotHoldTheServersGrantsForever() throws RpcException {
        start(config().overcommit(1).build());
        untilShortestIsGranted();
        net.remove(client(SHORTEST));
        assertTrue(net.runUntil(() -> allFinished(i -> i != SHORTEST), 2 * SECOND), () -> "server " + server.stats());
        for (int i = 0; i < SIZES.length; i++) {
            if (i != SHORTEST) {
                assertEchoed(i);
            }
        }
        assertEquals(0, server.engine().openServerRpcs(client(SHORTEST)), "the server forgot the vanished client's request");
    }
}
