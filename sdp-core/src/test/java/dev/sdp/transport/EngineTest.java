package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.crypto.RecordStatus;
import dev.sdp.transport.TransportStats.Counter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The protocol engine between two endpoints on a simulated link with a fake clock. */
class EngineTest {
    private static final long SECOND = 1_000_000_000L;

    private static TransportConfig config() {
        return TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofMillis(400)).build();
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Issues calls of the given sizes, runs to completion, checks every echo byte for byte. */
    private static void echoAll(Simulation sim, int[] sizes, long maxNanos) throws RpcException {
        List<Object> calls = new ArrayList<>();
        List<byte[]> sent = new ArrayList<>();
        for (int size : sizes) {
            byte[] request = bytes(sim.random, size);
            sent.add(request);
            calls.add(sim.call(ByteBuffer.wrap(request)));
        }
        assertTrue(sim.runUntil(() -> sim.responses.size() + sim.failures.size() == calls.size(), maxNanos),
                "not finished: " + sim.responses.size() + " of " + calls.size() + "; client " + sim.clientStats + " server " + sim.serverStats);
        assertEquals(0, sim.failures.size(), () -> "failures: " + sim.failures.values() + "; client " + sim.clientStats + " server " + sim.serverStats);
        for (int i = 0; i < calls.size(); i++) {
            ByteBuffer response = sim.responses.get(calls.get(i));
            byte[] got = new byte[response.remaining()];
            response.get(got);
            assertArrayEquals(sent.get(i), got, "call " + i + " of " + sizes[i] + " bytes");
        }
        assertEquals(calls.size(), sim.requestsDelivered, "each request delivered exactly once");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void smallAndEmptyMessages(boolean encrypted) throws RpcException {
        Simulation sim = new Simulation(1, config(), encrypted);
        echoAll(sim, new int[] {0, 1, 64, 1000, 1446, 1447, 16384, 16385, 65536, 70000}, SECOND);
        assertEquals(10, sim.clientStats.get(Counter.RPCS_COMPLETED));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void largeMessagesAreGranted(boolean encrypted) throws RpcException {
        Simulation sim = new Simulation(2, config(), encrypted);
        echoAll(sim, new int[] {3 << 20, 1 << 20, 200_000}, 10 * SECOND);
        assertTrue(sim.serverStats.get(Counter.GRANTS_SENT) > 10, "the server granted the requests");
        assertTrue(sim.clientStats.get(Counter.GRANTS_SENT) > 10, "the client granted the responses");
    }

    @Test
    void keysMoveThroughManyEpochsWithMessagesInFlightAndLoss() throws RpcException {
        TransportConfig config = TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofMillis(400))
                .keyUpdateLimit(8).build();
        Simulation sim = new Simulation(21, config, true);
        sim.impairment.drop = 0.03;
        sim.impairment.reorder = 0.05;
        Random random = new Random(21);
        Map<Object, byte[]> sent = new HashMap<>();
        List<Object> previousWave = List.of();
        for (int wave = 0; wave < 60; wave++) {
            // Each wave starts while the one before it is still in flight, then that one is awaited.
            List<Object> thisWave = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                byte[] request = bytes(random, random.nextInt(8) == 0 ? 20_000 + random.nextInt(100_000) : random.nextInt(2000));
                Object call = sim.call(ByteBuffer.wrap(request));
                sent.put(call, request);
                thisWave.add(call);
            }
            List<Object> awaited = previousWave;
            assertTrue(sim.runUntil(() -> awaited.stream().allMatch(c -> sim.responses.containsKey(c) || sim.failures.containsKey(c)), 10 * SECOND));
            previousWave = thisWave;
        }
        assertTrue(sim.runUntil(() -> sim.responses.size() + sim.failures.size() == sent.size(), 10 * SECOND));
        assertEquals(Map.of(), sim.failures);
        sent.forEach((call, request) -> assertEquals(ByteBuffer.wrap(request), sim.responses.get(call)));
        Engine.SessionEpochs client = sim.client.epochs(Simulation.SERVER);
        Engine.SessionEpochs server = sim.server.epochs(Simulation.CLIENT);
        assertTrue(client.sendEpoch() > 20 && server.sendEpoch() > 20, "both directions went through many epochs: " + client + " " + server);
        assertEquals(client.sendEpoch(), server.receiveEpoch(), "the server follows the client's epoch");
        assertEquals(server.sendEpoch(), client.receiveEpoch(), "the client follows the server's epoch");
        // Late duplicates of finished messages may name a dropped epoch; no live message ever did.
        assertEquals(0, sim.serverStats.get(Counter.MESSAGES_DISCARDED) + sim.clientStats.get(Counter.MESSAGES_DISCARDED));
    }

    @Test
    void anOnDemandUpdateWaitsUntilThePeerHoldsTheCurrentEpoch() throws RpcException {
        Simulation sim = new Simulation(22, config(), true);
        echoAll(sim, new int[] {100}, SECOND);
        assertTrue(sim.client.updateKeys(Simulation.SERVER));
        assertEquals(1, sim.client.epochs(Simulation.SERVER).sendEpoch(), "nothing of epoch 0 is open: moved at once");
        sim.handlerDelay(50_000_000);
        Object slow = sim.call(ByteBuffer.wrap(new byte[10]));
        assertTrue(sim.client.updateKeys(Simulation.SERVER));
        sim.call(ByteBuffer.wrap(new byte[10]));
        assertEquals(1, sim.client.epochs(Simulation.SERVER).sendEpoch(), "the server has not opened anything of epoch 1 yet");
        assertTrue(sim.runUntil(() -> sim.responses.containsKey(slow), SECOND));
        sim.call(ByteBuffer.wrap(new byte[10]));
        assertTrue(sim.runUntil(() -> sim.responses.size() == 4, SECOND), "all calls answered: " + sim.failures);
        assertEquals(2, sim.client.epochs(Simulation.SERVER).sendEpoch(), "the pending update happened once the server had opened a request of epoch 1");
    }

    /**
     * With 64 KiB datagrams and a quarter MiB unscheduled, a request's only GRANT may be lost while
     * the server has no other RPC: the server itself must ask for the rest (it once waited for the
     * client's timeout, because only sending armed its timer).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void aServerWithOneRequestRecoversItsLostGrant(long seed) throws RpcException {
        TransportConfig config = TransportConfig.builder().mtu(65535).unscheduledBytes(256 << 10).grantWindow(256 << 10)
                .resendInterval(Duration.ofMillis(10)).rpcTimeout(Duration.ofSeconds(5)).build();
        Simulation sim = new Simulation(seed, config, true);
        sim.impairment.drop = 0.1;
        for (int i = 0; i < 40; i++) {
            Object call = sim.call(ByteBuffer.allocate(262144));
            assertTrue(sim.runUntil(() -> sim.responses.containsKey(call) || sim.failures.containsKey(call), 20 * SECOND));
            assertTrue(sim.responses.containsKey(call), () -> "call " + call + " failed: " + sim.failures + "; server " + sim.serverStats);
        }
    }

    @Test
    void manyConcurrentMixedSizes() throws RpcException {
        Simulation sim = new Simulation(3, config(), true);
        Random random = new Random(3);
        int[] sizes = new int[300];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = random.nextInt(10) == 0 ? random.nextInt(2 << 20) : random.nextInt(3000);
        }
        echoAll(sim, sizes, 30 * SECOND);
        assertEquals(0, sim.serverStats.records().rejections());
    }

    @Test
    void aSmallMessageIsNotStuckBehindALargeOne() throws RpcException {
        Simulation sim = new Simulation(4, config(), true);
        Object large = sim.call(ByteBuffer.allocate(8 << 20));
        sim.runUntil(() -> false, 1_000_000);
        Object small = sim.call(ByteBuffer.allocate(100));
        assertTrue(sim.runUntil(() -> sim.responses.containsKey(large), 60 * SECOND));
        assertTrue(sim.responses.containsKey(small));
        // The small RPC finished first although the 8 MiB one was already using the link.
        assertEquals(2, sim.completionOrder.size());
        assertTrue(sim.completionOrder.get(0) < sim.completionOrder.get(1) - 10_000_000,
                "small finished at " + sim.completionOrder.get(0) + ", large at " + sim.completionOrder.get(1));
    }

    @ParameterizedTest
    @CsvSource({"0.01, 0, 0, 0, 0", "0.05, 0, 0, 0, 0", "0.20, 0, 0, 0, 0", "0.05, 0.05, 0.2, 0, 0",
            "0.02, 0.02, 0.1, 0.01, 0.01", "0, 0, 0, 0.05, 0.05"})
    void impairedLinkStillDeliversEverythingExactlyOnce(double drop, double duplicate, double reorder,
                                                        double corruptHeader, double corruptPayload) throws RpcException {
        Simulation sim = new Simulation(5, TransportConfig.builder().resendInterval(Duration.ofMillis(2))
                .rpcTimeout(Duration.ofSeconds(10)).build(), true);
        sim.impairment.drop = drop;
        sim.impairment.duplicate = duplicate;
        sim.impairment.reorder = reorder;
        sim.impairment.corruptHeader = corruptHeader;
        sim.impairment.corruptPayload = corruptPayload;
        Random random = new Random(5);
        int[] sizes = new int[120];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = random.nextInt(8) == 0 ? random.nextInt(600_000) : random.nextInt(5000);
        }
        echoAll(sim, sizes, 120 * SECOND);
        if (drop > 0) {
            assertTrue(sim.clientStats.get(Counter.RESENDS_SENT) + sim.serverStats.get(Counter.RESENDS_SENT) > 0);
        }
        if (corruptPayload > 0) {
            assertTrue(sim.serverStats.records().count(RecordStatus.BAD_TAG) + sim.clientStats.records().count(RecordStatus.BAD_TAG) > 0,
                    "corrupted records were caught by authentication");
        }
    }

    @Test
    void totalLossFailsWithTimeout() throws RpcException {
        Simulation sim = new Simulation(6, config(), true);
        sim.impairment.drop = 1.0;
        Object call = sim.call(ByteBuffer.allocate(10));
        assertTrue(sim.runUntil(() -> sim.failures.containsKey(call), 2 * SECOND));
        assertEquals(RpcException.Reason.TIMEOUT, sim.failures.get(call).reason());
        assertEquals(1, sim.clientStats.get(Counter.RPCS_FAILED));
    }

    @Test
    void forgedResponseDataDoesNotStallACallWhoseRequestWasLost() throws RpcException {
        Simulation sim = new Simulation(13, config(), true);
        sim.impairment.drop = 1.0;
        Object call = sim.call(ByteBuffer.allocate(10));
        sim.runUntil(() -> false, 1_000_000);
        // Unauthenticated response state for the pending call (RPC 1), from a forged header: one
        // packet of a long response, so no record is complete enough to fail.
        dev.sdp.wire.DataHeader h = new dev.sdp.wire.DataHeader();
        h.messageId = 1L << 1 | 1;
        h.messageLength = 100_000;
        h.stride = 1446;
        h.unscheduled = 65536;
        ByteBuffer forged = ByteBuffer.allocate(dev.sdp.wire.DataHeader.LENGTH + h.stride);
        h.encode(forged);
        sim.inject(Simulation.SERVER, sim.client, forged.array());
        sim.impairment.drop = 0;
        // The server never saw the request and answers the client's RESEND with UNKNOWN; the client
        // must then drop the forged state and send its request again.
        assertTrue(sim.runUntil(() -> sim.responses.containsKey(call), 10 * SECOND), () -> "failures " + sim.failures);
    }

    @Test
    void segmentsGoOutAsTheyAreSealed() throws RpcException {
        Simulation sim = new Simulation(14, config(), true);
        PreparedMessage prepared = sim.client.prepareCall(Simulation.SERVER, ByteBuffer.allocate(300_000));
        sim.client.submitCall(prepared, new Object(), 0);
        int segmentWire = dev.sdp.wire.MessageLayout.segmentProtectedLength(300_000, 0, true);
        assertEquals(segmentWire, transfer(sim.client, Simulation.CLIENT, sim.server), "only the sealed first segment goes out");
        transfer(sim.server, Simulation.SERVER, sim.client);
        assertEquals(0, transfer(sim.client, Simulation.CLIENT, sim.server), "granted bytes wait until they are sealed");
        assertTrue(prepared.sealNextSegment());
        assertTrue(sim.client.resume(prepared));
        assertTrue(transfer(sim.client, Simulation.CLIENT, sim.server) > 0, "sealed and granted: the second segment goes");
    }

    /** Delivers everything {@code from} has to send to {@code to}; returns the DATA payload bytes among it. */
    private static long transfer(Engine from, java.net.InetSocketAddress fromAddress, Engine to) {
        ByteBuffer out = ByteBuffer.allocate(1 << 16);
        long total = 0;
        while (true) {
            out.clear();
            if (from.pollTransmit(out) == null) {
                return total;
            }
            out.flip();
            if (dev.sdp.wire.CommonHeader.peekType(out) == dev.sdp.wire.PacketType.DATA) {
                total += out.remaining() - dev.sdp.wire.DataHeader.LENGTH;
            }
            to.receive(fromAddress, out, 0);
        }
    }

    @Test
    void slowServerIsKeptAliveByBusy() throws RpcException {
        Simulation sim = new Simulation(7, config(), true);
        sim.handlerDelay(3 * config().rpcTimeout().toNanos());
        Object call = sim.call(ByteBuffer.allocate(10));
        assertTrue(sim.runUntil(() -> sim.responses.containsKey(call), 5 * SECOND), () -> "failures " + sim.failures);
        assertTrue(sim.serverStats.get(Counter.BUSY_SENT) > 0);
    }

    @Test
    void serverStateIsFreedByAck() throws RpcException {
        Simulation sim = new Simulation(8, config(), true);
        echoAll(sim, new int[] {10, 20, 30}, SECOND);
        sim.runUntil(() -> false, 100_000_000);
        assertEquals(0, serverRpcs(sim), () -> "client " + sim.clientStats + " server " + sim.serverStats);
        assertEquals(1, sim.clientStats.get(Counter.ACKS_SENT), "three consecutive RPCs share one ACK");
        assertEquals(0, sim.serverStats.get(Counter.NEED_ACKS_SENT), "the batched ACK comes before NEED_ACK would");
    }

    @Test
    void acksOfScatteredRpcsComeInRuns() throws RpcException {
        Simulation sim = new Simulation(12, config(), true);
        // Eight calls; the even ones answer at once and the odd ones late, so the ACK batch of the
        // first completions is not one run of consecutive IDs.
        int[] sizes = {1, 200_000, 2, 200_000, 3, 200_000, 4, 200_000};
        echoAll(sim, sizes, SECOND);
        sim.runUntil(() -> false, 100_000_000);
        assertEquals(0, serverRpcs(sim));
        assertTrue(sim.clientStats.get(Counter.ACKS_SENT) >= 2, "more than one run");
        assertTrue(sim.clientStats.get(Counter.ACKS_SENT) <= 8);
    }

    @Test
    void lostAckIsRecoveredWithNeedAck() throws RpcException {
        Simulation sim = new Simulation(9, config(), true);
        echoAll(sim, new int[] {10}, SECOND);
        // Drop everything from now on for a while: the ACK may or may not have left; then heal the link.
        sim.impairment.drop = 1.0;
        sim.runUntil(() -> false, 10_000_000);
        sim.impairment.drop = 0;
        sim.runUntil(() -> false, 100_000_000);
        assertEquals(0, serverRpcs(sim));
    }

    private static int serverRpcs(Simulation sim) {
        // Package-private view: the peer's open server RPCs.
        return sim.server.openServerRpcs(Simulation.CLIENT);
    }

    @Test
    void replayedRequestIsNotDeliveredAgain() throws RpcException {
        Simulation sim = new Simulation(10, config(), true);
        sim.logClientToServer = true;
        echoAll(sim, new int[] {100, 40_000}, SECOND);
        sim.runUntil(() -> false, 100_000_000);
        assertEquals(2, sim.requestsDelivered);
        for (byte[] datagram : sim.clientToServerLog) {
            sim.inject(Simulation.CLIENT, sim.server, datagram);
        }
        sim.runUntil(() -> false, 100_000_000);
        assertEquals(2, sim.requestsDelivered, "a captured RPC re-sent later is not delivered again");
        assertTrue(sim.serverStats.records().count(RecordStatus.REPLAY) > 0);
    }

    @Test
    void forgedControlPacketsChangeNothing() throws RpcException {
        Simulation sim = new Simulation(11, config(), true);
        Object call = sim.call(ByteBuffer.allocate(500_000));
        sim.runUntil(() -> false, 200_000);
        long retransmitted = sim.clientStats.get(Counter.DATA_RETRANSMITTED);
        Random random = new Random(11);
        for (dev.sdp.wire.PacketType type : new dev.sdp.wire.PacketType[] {
                dev.sdp.wire.PacketType.GRANT, dev.sdp.wire.PacketType.RESEND, dev.sdp.wire.PacketType.ACK,
                dev.sdp.wire.PacketType.UNKNOWN, dev.sdp.wire.PacketType.BUSY}) {
            for (int i = 0; i < 50; i++) {
                dev.sdp.wire.ControlHeader h = new dev.sdp.wire.ControlHeader().type(type);
                h.messageId = 2;
                h.offset = type == dev.sdp.wire.PacketType.GRANT || type == dev.sdp.wire.PacketType.RESEND ? 1 << 20 : 0;
                h.length = type == dev.sdp.wire.PacketType.RESEND ? 400_000 : type == dev.sdp.wire.PacketType.ACK ? 1 : 0;
                h.packetNumber = random.nextInt(1000) + 1;
                ByteBuffer b = ByteBuffer.allocate(dev.sdp.wire.ControlHeader.LENGTH);
                h.encode(b);
                byte[] forged = b.array();
                for (int t = dev.sdp.wire.ControlHeader.TAG_OFFSET; t < forged.length; t++) {
                    forged[t] = (byte) random.nextInt();
                }
                sim.inject(Simulation.SERVER, sim.client, forged);
            }
        }
        assertEquals(retransmitted, sim.clientStats.get(Counter.DATA_RETRANSMITTED), "no retransmission triggered");
        // Each forged packet is rejected: by its tag, or earlier when its number was already used.
        assertEquals(250, sim.clientStats.records().count(RecordStatus.BAD_TAG) + sim.clientStats.records().count(RecordStatus.REPLAY));
        assertTrue(sim.runUntil(() -> sim.responses.containsKey(call), 10 * SECOND));
    }

    @Test
    void garbageAndForgedDataCostBoundedMemoryAndDisturbNothing() throws RpcException {
        TransportConfig cfg = TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofMillis(400))
                .maxUnauthenticatedBytes(256 * 1024).build();
        Simulation sim = new Simulation(12, cfg, true);
        Random random = new Random(12);
        Object call = sim.call(ByteBuffer.allocate(300_000));
        dev.sdp.wire.DataHeader h = new dev.sdp.wire.DataHeader();
        for (int i = 0; i < 5000; i++) {
            byte[] junk = new byte[1 + random.nextInt(1500)];
            random.nextBytes(junk);
            sim.inject(Simulation.CLIENT, sim.server, junk);
            // Forged DATA claiming large messages with fresh IDs: buffered only up to the budget.
            h.messageId = (1000L + i) << 1;
            h.messageLength = 1 << 20;
            h.segmentOffset = 0;
            h.packetIndex = random.nextInt(40);
            h.stride = cfg.stride();
            h.unscheduled = 1 << 20;
            ByteBuffer b = ByteBuffer.allocate(dev.sdp.wire.DataHeader.LENGTH + cfg.stride());
            h.encode(b);
            sim.inject(Simulation.CLIENT, sim.server, b.array());
            assertTrue(sim.server.unauthenticatedBytes(Simulation.CLIENT) <= 256 * 1024);
        }
        assertTrue(sim.serverStats.get(Counter.MALFORMED_PACKETS) > 4000);
        assertTrue(sim.serverStats.get(Counter.UNAUTHENTICATED_EVICTED) + sim.serverStats.get(Counter.DATA_BEFORE_AUTHENTICATION) > 4000,
                "forged state was evicted, or never buffered, to stay in budget");
        assertTrue(sim.runUntil(() -> sim.responses.containsKey(call), 10 * SECOND), () -> "server " + sim.serverStats);
        assertEquals(1, sim.requestsDelivered);
    }

    @Test
    void oversizedMessagesAreRefused() {
        Simulation sim = new Simulation(13, TransportConfig.builder().maxMessageSize(1000).build(), true);
        RpcException e = org.junit.jupiter.api.Assertions.assertThrows(RpcException.class, () -> sim.call(ByteBuffer.allocate(1001)));
        assertEquals(RpcException.Reason.MESSAGE_TOO_LARGE, e.reason());
    }

    @Test
    void closeFailsPendingCalls() throws RpcException {
        Simulation sim = new Simulation(14, config(), true);
        sim.impairment.drop = 1.0;
        Object call = sim.call(ByteBuffer.allocate(10));
        sim.client.close();
        sim.runUntil(() -> sim.failures.containsKey(call), SECOND);
        assertEquals(RpcException.Reason.CLOSED, sim.failures.get(call).reason());
    }
}
