package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.testing.EngineEndpoint;
import dev.sdp.testing.TestNetwork;
import dev.sdp.transport.TransportStats.Counter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Many clients to one server under load, on the simulated network: random loss on every link, and
 * endpoints that are not run for 20–50 ms at random moments (a process descheduled on a busy
 * machine). Every RPC completes exactly once with the right bytes, retransmission stays a bounded
 * share of what is sent, and each client's round-trip estimate settles near the round trips it sees.
 */
class LoadTest {
    private static final long MS = 1_000_000L;
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 2002);
    private static final int CLIENTS = 6;
    private static final int CALLS_PER_CLIENT = 20;

    @ParameterizedTest
    @CsvSource({"0.01, 0.05", "0.20, 0.45"})
    void everyRpcCompletesOnceWhileEndpointsStallAndPacketsAreLost(double loss, double maxRetransmittedShare) throws RpcException {
        TestNetwork net = new TestNetwork(77);
        net.allLinks().drop = loss;
        TransportConfig config = TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofSeconds(2)).build();
        EngineEndpoint server = net.engine(SERVER, config);
        List<EngineEndpoint> clients = new ArrayList<>();
        List<List<Object>> calls = new ArrayList<>();
        List<List<byte[]>> requests = new ArrayList<>();
        Random random = new Random(77);
        for (int c = 0; c < CLIENTS; c++) {
            EngineEndpoint client = net.engine(new InetSocketAddress("127.0.0.1", 3001 + c), config);
            client.connect(server, true);
            clients.add(client);
            calls.add(new ArrayList<>());
            requests.add(new ArrayList<>());
            for (int i = 0; i < CALLS_PER_CLIENT; i++) {
                byte[] request = new byte[random.nextInt(4) == 0 ? 20_000 + random.nextInt(180_000) : 1 + random.nextInt(2_000)];
                random.nextBytes(request);
                requests.get(c).add(request);
                calls.get(c).add(client.call(SERVER, ByteBuffer.wrap(request)));
            }
        }
        int total = CLIENTS * CALLS_PER_CLIENT;
        for (int step = 0; step < 2_000 && clients.stream().mapToInt(EngineEndpoint::finishedCalls).sum() < total; step++) {
            net.run(5 * MS);
            if (random.nextInt(4) == 0) {
                InetSocketAddress victim = random.nextInt(3) == 0 ? SERVER : new InetSocketAddress("127.0.0.1", 3001 + random.nextInt(CLIENTS));
                net.starve(victim, (20 + random.nextInt(31)) * MS);
            }
        }
        long dataSent = 0;
        long retransmitted = 0;
        for (int c = 0; c < CLIENTS; c++) {
            EngineEndpoint client = clients.get(c);
            for (int i = 0; i < CALLS_PER_CLIENT; i++) {
                Object call = calls.get(c).get(i);
                ByteBuffer response = client.responses().get(call);
                String context = "client " + c + " call " + i + ": " + client.failures().get(call) + "; server " + server.stats();
                assertEquals(ByteBuffer.wrap(requests.get(c).get(i)), response, context);
            }
            dataSent += client.stats().get(Counter.PACKETS_OUT);
            retransmitted += client.stats().get(Counter.DATA_RETRANSMITTED);
            long rtt = client.engine().smoothedRttNanos(SERVER);
            assertTrue(rtt > 0 && rtt < 200 * MS, "client " + c + "'s round-trip estimate settled: " + rtt / 1000 + " us");
        }
        assertEquals(total, server.requestsDelivered(), "every request delivered exactly once");
        dataSent += server.stats().get(Counter.PACKETS_OUT);
        retransmitted += server.stats().get(Counter.DATA_RETRANSMITTED);
        assertTrue(retransmitted <= maxRetransmittedShare * dataSent,
                retransmitted + " of " + dataSent + " packets retransmitted at " + loss + " loss");
    }
}
