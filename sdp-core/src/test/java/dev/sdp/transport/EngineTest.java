package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.crypto.RecordStatus;
import dev.sdp.testing.EngineEndpoint;
import dev.sdp.testing.TestNetwork;
import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.DataHeader;
import dev.sdp.wire.MessageLayout;
import dev.sdp.wire.PacketType;
import java.net.InetSocketAddress;
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

/** The protocol engine between a client and an echo server on a simulated network with a fake clock. */
class EngineTest {
    private static final long SECOND = 1_000_000_000L;
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 1001);
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 2002);

    private TestNetwork net;
    private EngineEndpoint client;
    private EngineEndpoint server;

    /** Puts a client and an echo server, joined by a session, on a network whose random choices follow {@code seed}. */
    private void start(long seed, TransportConfig config, boolean encrypted) {
        net = new TestNetwork(seed);
        client = net.engine(CLIENT, config);
        server = net.engine(SERVER, config);
        client.connect(server, encrypted);
    }

    private static TransportConfig config() {
        return TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofMillis(400)).build();
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Issues calls of the given sizes, runs to completion, checks every echo byte for byte. */
    private void echoAll(int[] sizes, long maxNanos) throws RpcException {
        List<Object> calls = new ArrayList<>();
        List<byte[]> sent = new ArrayList<>();
        for (int size : sizes) {
            byte[] request = bytes(net.random(), size);
            sent.add(request);
            calls.add(client.call(SERVER, ByteBuffer.wrap(request)));
        }
        assertTrue(net.runUntil(() -> client.finishedCalls() == calls.size(), maxNanos),
                "not finished: " + client.responses().size() + " of " + calls.size() + "; client " + client.stats() + " server " + server.stats());
        assertEquals(0, client.failures().size(), () -> "failures: " + client.failures().values() + "; client " + client.stats() + " server " + server.stats());
        for (int i = 0; i < calls.size(); i++) {
            ByteBuffer response = client.responses().get(calls.get(i));
            byte[] got = new byte[response.remaining()];
            response.get(got);
            assertArrayEquals(sent.get(i), got, "call " + i + " of " + sizes[i] + " bytes");
        }
        assertEquals(calls.size(), server.requestsDelivered(), "each request delivered exactly once");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void smallAndEmptyMessages(boolean encrypted) throws RpcException {
        start(1, config(), encrypted);
        echoAll(new int[] {0, 1, 64, 1000, 1446, 1447, 16384, 16385, 65536, 70000}, SECOND);
        assertEquals(10, client.stats().get(Counter.RPCS_COMPLETED));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void largeMessagesAreGranted(boolean encrypted) throws RpcException {
        start(2, config(), encrypted);
        echoAll(new int[] {3 << 20, 1 << 20, 200_000}, 10 * SECOND);
        assertTrue(server.stats().get(Counter.GRANTS_SENT) > 10, "the server granted the requests");
        assertTrue(client.stats().get(Counter.GRANTS_SENT) > 10, "the client granted the responses");
    }

    /**
     * Records of large messages opened off the engine's thread, finishing after other packets have
     * been handled, through loss, duplicates and corrupted payloads: every echo arrives intact, and
     * the records did go through the record executor.
     */
    @Test
    void recordsOpenedLaterOnAWorkerThroughLossAndCorruption() throws RpcException {
        start(23, config(), true);
        client.deferRecordWork(true);
        server.deferRecordWork(true);
        net.allLinks().drop = 0.02;
        net.allLinks().duplicate = 0.02;
        net.allLinks().corruptPayload = 0.01;
        echoAll(new int[] {3 << 20, 70_000, 100, 1 << 20, 200_000, 65_537}, 20 * SECOND);
        assertTrue(server.recordTasks() > 0 && client.recordTasks() > 0, "records went to the executor both ways");
        assertTrue(client.stats().records().rejections() + server.stats().records().rejections() > 0, "corrupted records were refused");
    }

    /**
     * A call given up while its response's records are with a worker, some opened, their outcomes not
     * yet applied: those outcomes come back to nothing and are ignored.
     */
    @Test
    void outcomesForAMessageDroppedMeanwhileAreIgnored() throws RpcException {
        start(24, config(), true);
        client.holdRecordWork(true);
        Object call = client.call(SERVER, ByteBuffer.allocate(1 << 20));
        assertTrue(net.runUntil(() -> client.recordWorkWaiting() > 0, SECOND), "the response's records wait");
        net.run(1_000_000);
        client.runRecordWork();
        assertTrue(client.engine().abandonCall(SERVER, call));
        client.holdRecordWork(false);
        net.run(SECOND);
        assertFalse(client.finished(call), "an abandoned call has no outcome");
        assertEquals(0, client.engine().receiveBytesHeld(), "everything the message held was returned, once");
        Object after = client.call(SERVER, ByteBuffer.allocate(200_000));
        assertTrue(net.runUntil(() -> client.finished(after), SECOND), "the session still works");
        assertEquals(200_000, client.responses().get(after).remaining());
    }

    /**
     * A forged packet of the response, arriving long before the real one (the server's handler takes
     * 50 ms), must not become the round-trip sample: the estimate follows the packet that
     * authenticated the response.
     */
    @Test
    void aForgedResponsePacketDoesNotSetTheRoundTripEstimate() throws RpcException {
        start(27, config(), true);
        server.handlerDelay(50_000_000L);
        client.engine().startRpcIdsAt(SERVER, 5000);
        Object call = client.call(SERVER, ByteBuffer.allocate(100));
        net.run(1_000_000);
        int stride = config().stride();
        net.inject(SERVER, CLIENT, Mechanisms.forgedData(new Random(27), 5000L << 1 | 1, 100, 0, 0, stride));
        assertTrue(net.runUntil(() -> client.finished(call), SECOND));
        long rtt = client.engine().smoothedRttNanos(SERVER);
        assertTrue(rtt >= 40_000_000L, "the estimate is the real round trip, not the forged packet's: " + rtt / 1000 + " us");
    }

    /**
     * A response fully received whose records are still being opened: the server's NEED_ACKs draw
     * no RESEND (there is nothing to send again), and the ACK follows once the records open.
     */
    @Test
    void aResponseBeingOpenedIsNotAskedForAgain() throws RpcException {
        start(26, config(), true);
        client.holdRecordWork(true);
        Object call = client.call(SERVER, ByteBuffer.allocate(1 << 20));
        net.run(50_000_000);
        assertTrue(server.stats().get(Counter.NEED_ACKS_SENT) > 0, "the server asked whether its response arrived");
        assertEquals(0, server.stats().get(Counter.DATA_RETRANSMITTED), "and sent none of it again");
        client.holdRecordWork(false);
        assertTrue(net.runUntil(() -> client.finished(call), SECOND));
        assertEquals(1 << 20, client.responses().get(call).remaining());
    }

    /**
     * Flow control across messages: six 1 MiB echoes at once toward endpoints whose sockets hold
     * 100 KB beyond the unscheduled bytes: every echo arrives, and the bytes granted and still in
     * flight never exceed that room plus what the senders may send unscheduled.
     */
    @Test
    void grantsInFlightStayWithinTheReceiveBuffer() throws RpcException {
        int stride = TransportConfig.defaults().stride();
        int unscheduled = (MessageLayout.MAX_RECORD_PLAINTEXT + MessageLayout.RECORD_OVERHEAD + stride - 1) / stride * stride;
        TransportConfig config = TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofMillis(400))
                .unscheduledBytes(unscheduled).build();
        start(25, config, true);
        long room = 100_000;
        client.engine().receiveBuffer(2 * (room + unscheduled));
        server.engine().receiveBuffer(2 * (room + unscheduled));
        long[] most = new long[1];
        List<Object> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            calls.add(client.call(SERVER, ByteBuffer.allocate(1 << 20)));
        }
        assertTrue(net.runUntil(() -> {
            most[0] = Math.max(most[0], Math.max(client.engine().grantedOutstanding(), server.engine().grantedOutstanding()));
            return calls.stream().allMatch(client::finished);
        }, 10 * SECOND));
        assertEquals(Map.of(), client.failures());
        assertTrue(most[0] <= room + 6L * unscheduled, "at most " + most[0] + " bytes granted and in flight");
        assertTrue(most[0] > room / 2, "the room was used: " + most[0]);
    }

    /**
     * Heavy reordering: half the datagrams overtake others, calls in both directions, keys updated
     * as they go. A message whose short last record lies wholly in its first record's last packet
     * can have that record complete, and authenticate the message, before record 0; its plaintext
     * must land at its own offset, not at the start (it did, and the echo came back with the last
     * record's bytes zero: found with datagrams sent from two threads at once on loopback).
     */
    @Test
    void echoesSurviveHeavyReorderingWithKeyUpdatesBothWays() throws RpcException {
        TransportConfig config = TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofMillis(800))
                .keyUpdateLimit(16).build();
        start(28, config, true);
        net.allLinks().reorder = 0.5;
        net.allLinks().duplicate = 0.05;
        Random random = new Random(28);
        Map<Object, byte[]> fromClient = new HashMap<>();
        Map<Object, byte[]> fromServer = new HashMap<>();
        for (int round = 0; round < 30; round++) {
            for (int i = 0; i < 8; i++) {
                byte[] request = bytes(random, random.nextInt(40_000));
                if (i % 2 == 0) {
                    fromClient.put(client.call(SERVER, ByteBuffer.wrap(request)), request);
                } else {
                    fromServer.put(server.call(CLIENT, ByteBuffer.wrap(request)), request);
                }
            }
            if (round % 5 == 0) {
                client.engine().updateKeys(SERVER);
            }
            assertTrue(net.runUntil(() -> client.finishedCalls() == fromClient.size() && server.finishedCalls() == fromServer.size(),
                    5 * SECOND));
        }
        fromClient.forEach((call, request) -> assertEquals(ByteBuffer.wrap(request), client.responses().get(call)));
        fromServer.forEach((call, request) -> assertEquals(ByteBuffer.wrap(request), server.responses().get(call)));
    }

    @Test
    void keysMoveThroughManyEpochsWithMessagesInFlightAndLoss() throws RpcException {
        TransportConfig config = TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofMillis(400))
                .keyUpdateLimit(8).build();
        start(21, config, true);
        net.allLinks().drop = 0.03;
        net.allLinks().reorder = 0.05;
        Random random = new Random(21);
        Map<Object, byte[]> sent = new HashMap<>();
        List<Object> previousWave = List.of();
        for (int wave = 0; wave < 60; wave++) {
            // Each wave starts while the one before it is still in flight, then that one is awaited.
            List<Object> thisWave = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                byte[] request = bytes(random, random.nextInt(8) == 0 ? 20_000 + random.nextInt(100_000) : random.nextInt(2000));
                Object call = client.call(SERVER, ByteBuffer.wrap(request));
                sent.put(call, request);
                thisWave.add(call);
            }
            List<Object> awaited = previousWave;
            assertTrue(net.runUntil(() -> awaited.stream().allMatch(client::finished), 10 * SECOND));
            previousWave = thisWave;
        }
        assertTrue(net.runUntil(() -> client.finishedCalls() == sent.size(), 10 * SECOND));
        assertEquals(Map.of(), client.failures());
        sent.forEach((call, request) -> assertEquals(ByteBuffer.wrap(request), client.responses().get(call)));
        Engine.SessionEpochs clientEpochs = client.engine().epochs(SERVER);
        Engine.SessionEpochs serverEpochs = server.engine().epochs(CLIENT);
        assertTrue(clientEpochs.sendEpoch() > 20 && serverEpochs.sendEpoch() > 20,
                "both directions went through many epochs: " + clientEpochs + " " + serverEpochs);
        assertEquals(clientEpochs.sendEpoch(), serverEpochs.receiveEpoch(), "the server follows the client's epoch");
        assertEquals(serverEpochs.sendEpoch(), clientEpochs.receiveEpoch(), "the client follows the server's epoch");
        // Late duplicates of finished messages may name a dropped epoch; no live message ever did.
        assertEquals(0, server.stats().get(Counter.MESSAGES_DISCARDED) + client.stats().get(Counter.MESSAGES_DISCARDED));
    }

    @Test
    void anOnDemandUpdateWaitsUntilThePeerHoldsTheCurrentEpoch() throws RpcException {
        start(22, config(), true);
        echoAll(new int[] {100}, SECOND);
        assertTrue(client.engine().updateKeys(SERVER));
        assertEquals(1, client.engine().epochs(SERVER).sendEpoch(), "nothing of epoch 0 is open: moved at once");
        server.handlerDelay(50_000_000);
        Object slow = client.call(SERVER, ByteBuffer.wrap(new byte[10]));
        assertTrue(client.engine().updateKeys(SERVER));
        client.call(SERVER, ByteBuffer.wrap(new byte[10]));
        assertEquals(1, client.engine().epochs(SERVER).sendEpoch(), "the server has not opened anything of epoch 1 yet");
        assertTrue(net.runUntil(() -> client.responses().containsKey(slow), SECOND));
        client.call(SERVER, ByteBuffer.wrap(new byte[10]));
        assertTrue(net.runUntil(() -> client.responses().size() == 4, SECOND), "all calls answered: " + client.failures());
        assertEquals(2, client.engine().epochs(SERVER).sendEpoch(), "the pending update happened once the server had opened a request of epoch 1");
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
        start(seed, config, true);
        net.allLinks().drop = 0.1;
        for (int i = 0; i < 40; i++) {
            Object call = client.call(SERVER, ByteBuffer.allocate(262144));
            assertTrue(net.runUntil(() -> client.finished(call), 20 * SECOND));
            assertTrue(client.responses().containsKey(call), () -> "call " + call + " failed: " + client.failures() + "; server " + server.stats());
        }
    }

    @Test
    void manyConcurrentMixedSizes() throws RpcException {
        start(3, config(), true);
        Random random = new Random(3);
        int[] sizes = new int[300];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = random.nextInt(10) == 0 ? random.nextInt(2 << 20) : random.nextInt(3000);
        }
        echoAll(sizes, 30 * SECOND);
        assertEquals(0, server.stats().records().rejections());
    }

    @Test
    void aSmallMessageIsNotStuckBehindALargeOne() throws RpcException {
        start(4, config(), true);
        Object large = client.call(SERVER, ByteBuffer.allocate(8 << 20));
        net.run(1_000_000);
        Object small = client.call(SERVER, ByteBuffer.allocate(100));
        assertTrue(net.runUntil(() -> client.responses().containsKey(large), 60 * SECOND));
        assertTrue(client.responses().containsKey(small));
        // The small RPC finished first although the 8 MiB one was already using the link.
        List<EngineEndpoint.Completion> done = client.completions();
        assertEquals(2, done.size());
        assertEquals(small, done.get(0).attachment());
        assertTrue(done.get(0).at() < done.get(1).at() - 10_000_000,
                "small finished at " + done.get(0).at() + ", large at " + done.get(1).at());
    }

    @ParameterizedTest
    @CsvSource({"0.01, 0, 0, 0, 0", "0.05, 0, 0, 0, 0", "0.20, 0, 0, 0, 0", "0.05, 0.05, 0.2, 0, 0",
            "0.02, 0.02, 0.1, 0.01, 0.01", "0, 0, 0, 0.05, 0.05"})
    void impairedLinkStillDeliversEverythingExactlyOnce(double drop, double duplicate, double reorder,
                                                        double corruptHeader, double corruptPayload) throws RpcException {
        start(5, TransportConfig.builder().resendInterval(Duration.ofMillis(2))
                .rpcTimeout(Duration.ofSeconds(10)).build(), true);
        net.allLinks().drop = drop;
        net.allLinks().duplicate = duplicate;
        net.allLinks().reorder = reorder;
        net.allLinks().corruptHeader = corruptHeader;
        net.allLinks().corruptPayload = corruptPayload;
        Random random = new Random(5);
        int[] sizes = new int[120];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = random.nextInt(8) == 0 ? random.nextInt(600_000) : random.nextInt(5000);
        }
        echoAll(sizes, 120 * SECOND);
        if (drop > 0) {
            assertTrue(client.stats().get(Counter.RESENDS_SENT) + server.stats().get(Counter.RESENDS_SENT) > 0);
        }
        if (corruptPayload > 0) {
            assertTrue(server.stats().records().count(RecordStatus.BAD_TAG) + client.stats().records().count(RecordStatus.BAD_TAG) > 0,
                    "corrupted records were caught by authentication");
        }
    }

    /** Loss toward the server only: the server notices the gaps in requests and asks for them. */
    @Test
    void lossInOneDirectionIsRecoveredByItsReceiver() throws RpcException {
        start(15, config(), true);
        net.link(CLIENT, SERVER).drop = 0.1;
        echoAll(new int[] {10, 3000, 40_000, 200_000, 1 << 20, 500, 90_000}, 10 * SECOND);
        net.run(100_000_000);
        assertTrue(server.stats().get(Counter.RESENDS_SENT) > 0, "the server asked for what it missed");
        assertTrue(server.stats().get(Counter.PACKETS_IN) < client.stats().get(Counter.PACKETS_OUT), "datagrams to the server were lost");
        assertEquals(server.stats().get(Counter.PACKETS_OUT), client.stats().get(Counter.PACKETS_IN), "none to the client was");
    }

    @Test
    void totalLossFailsWithTimeout() throws RpcException {
        start(6, config(), true);
        net.allLinks().drop = 1.0;
        Object call = client.call(SERVER, ByteBuffer.allocate(10));
        assertTrue(net.runUntil(() -> client.failures().containsKey(call), 2 * SECOND));
        assertEquals(RpcException.Reason.TIMEOUT, client.failures().get(call).reason());
        assertEquals(1, client.stats().get(Counter.RPCS_FAILED));
    }

    @Test
    void forgedResponseDataDoesNotStallACallWhoseRequestWasLost() throws RpcException {
        start(13, config(), true);
        net.allLinks().drop = 1.0;
        Object call = client.call(SERVER, ByteBuffer.allocate(10));
        net.run(1_000_000);
        // Unauthenticated response state for the pending call (RPC 1), from a forged header: one
        // packet of a long response, so no record is complete enough to fail.
        DataHeader h = new DataHeader();
        h.messageId = 1L << 1 | 1;
        h.messageLength = 100_000;
        h.stride = 1446;
        h.unscheduled = 65536;
        ByteBuffer forged = ByteBuffer.allocate(DataHeader.LENGTH + h.stride);
        h.encode(forged);
        net.inject(SERVER, CLIENT, forged.array());
        net.allLinks().drop = 0;
        // The server never saw the request and answers the client's RESEND with UNKNOWN; the client
        // must then drop the forged state and send its request again.
        assertTrue(net.runUntil(() -> client.responses().containsKey(call), 10 * SECOND), () -> "failures " + client.failures());
    }

    @Test
    void segmentsGoOutAsTheyAreSealed() throws RpcException {
        start(14, config(), true);
        List<byte[]> sent = net.log(CLIENT);
        PreparedMessage prepared = client.engine().prepareCall(SERVER, ByteBuffer.allocate(300_000));
        client.engine().submitCall(prepared, new Object(), net.now());
        int segmentWire = MessageLayout.segmentProtectedLength(300_000, 0, true);
        net.run(0);
        assertEquals(segmentWire, dataBytes(sent), "only the sealed first segment goes out");
        assertTrue(net.runUntil(() -> client.stats().get(Counter.GRANTS_RECEIVED) > 0, SECOND));
        assertEquals(segmentWire, dataBytes(sent), "granted bytes wait until they are sealed");
        assertTrue(prepared.sealNextSegment());
        assertTrue(client.engine().resume(prepared));
        net.run(0);
        assertTrue(dataBytes(sent) > segmentWire, "sealed and granted: the second segment goes");
        net.run(1_000_000);
        assertEquals(2L * segmentWire, dataBytes(sent), "the engine sent all it had");
        // The rest is sealed after the engine sent all it had: each segment, the last too, goes at once.
        while (prepared.sealNextSegment() && client.engine().resume(prepared)) {
            net.run(1_000_000);
        }
        assertEquals(MessageLayout.protectedLength(300_000, true), dataBytes(sent), "the whole request went, without being asked for");
        assertEquals(0, server.stats().get(Counter.RESENDS_SENT));
    }

    /** The protected bytes of the DATA packets among {@code datagrams}. */
    private static long dataBytes(List<byte[]> datagrams) {
        return datagrams.stream().filter(d -> CommonHeader.peekType(ByteBuffer.wrap(d)) == PacketType.DATA)
                .mapToLong(d -> d.length - DataHeader.LENGTH).sum();
    }

    @Test
    void slowServerIsKeptAliveByBusy() throws RpcException {
        start(7, config(), true);
        server.handlerDelay(3 * config().rpcTimeout().toNanos());
        Object call = client.call(SERVER, ByteBuffer.allocate(10));
        assertTrue(net.runUntil(() -> client.responses().containsKey(call), 5 * SECOND), () -> "failures " + client.failures());
        assertTrue(server.stats().get(Counter.BUSY_SENT) > 0);
    }

    @Test
    void serverStateIsFreedByAck() throws RpcException {
        start(8, config(), true);
        echoAll(new int[] {10, 20, 30}, SECOND);
        net.run(100_000_000);
        assertEquals(0, serverRpcs(), () -> "client " + client.stats() + " server " + server.stats());
        assertEquals(1, client.stats().get(Counter.ACKS_SENT), "three consecutive RPCs share one ACK");
        assertEquals(0, server.stats().get(Counter.NEED_ACKS_SENT), "the batched ACK comes before NEED_ACK would");
    }

    @Test
    void acksOfScatteredRpcsComeInRuns() throws RpcException {
        start(12, config(), true);
        // Eight calls; the even ones answer at once and the odd ones late, so the ACK batch of the
        // first completions is not one run of consecutive IDs.
        int[] sizes = {1, 200_000, 2, 200_000, 3, 200_000, 4, 200_000};
        echoAll(sizes, SECOND);
        net.run(100_000_000);
        assertEquals(0, serverRpcs());
        assertTrue(client.stats().get(Counter.ACKS_SENT) >= 2, "more than one run");
        assertTrue(client.stats().get(Counter.ACKS_SENT) <= 8);
    }

    @Test
    void lostAckIsRecoveredWithNeedAck() throws RpcException {
        start(9, config(), true);
        echoAll(new int[] {10}, SECOND);
        // Drop everything from now on for a while: the ACK may or may not have left; then heal the link.
        net.allLinks().drop = 1.0;
        net.run(10_000_000);
        net.allLinks().drop = 0;
        net.run(100_000_000);
        assertEquals(0, serverRpcs());
    }

    private int serverRpcs() {
        // Package-private view: the peer's open server RPCs.
        return server.engine().openServerRpcs(CLIENT);
    }

    @Test
    void replayedRequestIsNotDeliveredAgain() throws RpcException {
        start(10, config(), true);
        List<byte[]> sent = net.log(CLIENT);
        echoAll(new int[] {100, 40_000}, SECOND);
        net.run(100_000_000);
        assertEquals(2, server.requestsDelivered());
        for (byte[] datagram : sent) {
            net.inject(CLIENT, SERVER, datagram);
        }
        net.run(100_000_000);
        assertEquals(2, server.requestsDelivered(), "a captured RPC re-sent later is not delivered again");
        assertTrue(server.stats().records().count(RecordStatus.REPLAY) > 0);
    }

    @Test
    void forgedControlPacketsChangeNothing() throws RpcException {
        start(11, config(), true);
        Object call = client.call(SERVER, ByteBuffer.allocate(500_000));
        net.run(200_000);
        long retransmitted = client.stats().get(Counter.DATA_RETRANSMITTED);
        Random random = new Random(11);
        for (PacketType type : new PacketType[] {
                PacketType.GRANT, PacketType.RESEND, PacketType.ACK,
                PacketType.UNKNOWN, PacketType.BUSY}) {
            for (int i = 0; i < 50; i++) {
                ControlHeader h = new ControlHeader().type(type);
                h.messageId = 2;
                h.offset = type == PacketType.GRANT || type == PacketType.RESEND ? 1 << 20 : 0;
                h.length = type == PacketType.RESEND ? 400_000 : type == PacketType.ACK ? 1 : 0;
                h.packetNumber = random.nextInt(1000) + 1;
                ByteBuffer b = ByteBuffer.allocate(ControlHeader.LENGTH);
                h.encode(b);
                byte[] forged = b.array();
                for (int t = ControlHeader.TAG_OFFSET; t < forged.length; t++) {
                    forged[t] = (byte) random.nextInt();
                }
                net.inject(SERVER, CLIENT, forged);
            }
        }
        assertEquals(retransmitted, client.stats().get(Counter.DATA_RETRANSMITTED), "no retransmission triggered");
        // Each forged packet is rejected: by its tag, or earlier when its number was already used or
        // lies below the window (numbers start at a random point).
        assertEquals(250, client.stats().records().count(RecordStatus.BAD_TAG) + client.stats().records().count(RecordStatus.REPLAY)
                + client.stats().records().count(RecordStatus.TOO_OLD));
        assertTrue(net.runUntil(() -> client.responses().containsKey(call), 10 * SECOND));
    }

    @Test
    void garbageAndForgedDataCostBoundedMemoryAndDisturbNothing() throws RpcException {
        TransportConfig cfg = TransportConfig.builder().resendInterval(Duration.ofMillis(2)).rpcTimeout(Duration.ofMillis(400))
                .maxUnauthenticatedBytes(256 * 1024).build();
        start(12, cfg, true);
        Random random = new Random(12);
        Object call = client.call(SERVER, ByteBuffer.allocate(300_000));
        for (int i = 0; i < 5000; i++) {
            byte[] junk = new byte[1 + random.nextInt(1500)];
            random.nextBytes(junk);
            net.inject(CLIENT, SERVER, junk);
            // Forged DATA claiming large messages with fresh IDs: buffered only up to the budget.
            net.inject(CLIENT, SERVER, Mechanisms.forgedData(random, (1000L + i) << 1, 1 << 20, 0, random.nextInt(40), cfg.stride()));
            assertTrue(server.engine().unauthenticatedBytes(CLIENT) <= 256 * 1024);
        }
        assertTrue(server.stats().get(Counter.MALFORMED_PACKETS) > 4000);
        assertTrue(server.stats().get(Counter.UNAUTHENTICATED_EVICTED) + server.stats().get(Counter.DATA_BEFORE_AUTHENTICATION) > 4000,
                "forged state was evicted, or never buffered, to stay in budget");
        assertTrue(net.runUntil(() -> client.responses().containsKey(call), 10 * SECOND), () -> "server " + server.stats());
        assertEquals(1, server.requestsDelivered());
    }

    @Test
    void oversizedMessagesAreRefused() {
        start(13, TransportConfig.builder().maxMessageSize(1000).build(), true);
        RpcException e = org.junit.jupiter.api.Assertions.assertThrows(RpcException.class, () -> client.call(SERVER, ByteBuffer.allocate(1001)));
        assertEquals(RpcException.Reason.MESSAGE_TOO_LARGE, e.reason());
    }

    @Test
    void closeFailsPendingCalls() throws RpcException {
        start(14, config(), true);
        net.allLinks().drop = 1.0;
        Object call = client.call(SERVER, ByteBuffer.allocate(10));
        client.engine().close();
        net.runUntil(() -> client.failures().containsKey(call), SECOND);
        assertEquals(RpcException.Reason.CLOSED, client.failures().get(call).reason());
    }
}
