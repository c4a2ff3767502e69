package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.DataHeader;
import dev.sdp.wire.PacketType;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Attacks by a peer (docs/ARCHITECTURE.md, security design): each sends hand-made or truncated
 * traffic to a sans-IO server engine, and the test checks what the server spent on it (memory it
 * allocated, measured on this thread; control packets it sent) against its budgets, then that a
 * legitimate client is still served. The engines are real, with real keys; no sockets.
 */
class HostilePeerTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("10.0.0.1", 4000);
    private static final InetSocketAddress ATTACKER = new InetSocketAddress("10.0.0.66", 4000);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("10.0.0.2", 4000);
    private static final long MS = 1_000_000;
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final TransportConfig config = TransportConfig.builder().build();
    private final TransportStats serverStats = new TransportStats();
    private final Engine<Object> server = new Engine<>(config, serverStats);
    private final Engine<Object> attacker = new Engine<>(config, new TransportStats());
    private final Engine<Object> client = new Engine<>(config, new TransportStats());
    private final Random random = new Random(66);
    private final ByteBuffer out = ByteBuffer.allocate(1 << 16);
    private long now = 1_000_000_000L;

    private void connect(Engine<Object> peer, InetSocketAddress address, boolean encrypted) {
        if (!encrypted) {
            peer.addPlaintextPeer(SERVER);
            server.addPlaintextPeer(address);
            return;
        }
        CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
        byte[] up = new byte[32];
        byte[] down = new byte[32];
        random.nextBytes(up);
        random.nextBytes(down);
        peer.addPeer(SERVER, EpochKeys.initial(suite, up), EpochKeys.initial(suite, down));
        server.addPeer(address, EpochKeys.initial(suite, down), EpochKeys.initial(suite, up));
    }

    /** Everything {@code engine} has to send now, as datagrams. */
    private List<byte[]> drain(Engine<Object> engine) {
        List<byte[]> datagrams = new ArrayList<>();
        while (engine.pollTransmit(out.clear()) != null) {
            byte[] d = new byte[out.position()];
            out.flip().get(d);
            datagrams.add(d);
        }
        return datagrams;
    }

    /** Bytes the server engine allocates while it takes these datagrams (it runs on this thread). */
    private long serverAllocates(InetSocketAddress from, List<byte[]> datagrams) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (byte[] d : datagrams) {
            server.receive(from, ByteBuffer.wrap(d), now);
        }
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }

    /** A legitimate client's 10 KiB call completes within simulated time, byte for byte. */
    private void legitimateCallCompletes() throws RpcException {
        echoCompletes(10_240, datagrams -> datagrams);
    }

    /**
     * A call of {@code size} random bytes completes, byte for byte; {@code firstFlight} may tamper
     * with the datagrams the client sends first (as an attacker on the path would).
     */
    private void echoCompletes(int size, java.util.function.UnaryOperator<List<byte[]>> firstFlight) throws RpcException {
        byte[] request = new byte[size];
        random.nextBytes(request);
        Object call = new Object();
        client.submitCall(client.prepareCall(SERVER, ByteBuffer.wrap(request)), call, now);
        for (int round = 0; round < 1000; round++) {
            for (byte[] d : round == 0 ? firstFlight.apply(drain(client)) : drain(client)) {
                server.receive(CLIENT, ByteBuffer.wrap(d), now);
            }
            EngineEvent<Object> e;
            while ((e = server.pollEvent()) != null) {
                if (e instanceof EngineEvent.RequestReceived<Object> r) {
                    server.submitReply(server.prepareReply(r.call(), r.payload()), now);
                }
            }
            for (byte[] d : drain(server)) {
                if (ByteBuffer.wrap(d).getShort(0) != 0) {
                    client.receive(SERVER, ByteBuffer.wrap(d), now);
                }
            }
            while ((e = client.pollEvent()) != null) {
                if (e instanceof EngineEvent.CallCompleted<Object> c && c.attachment() == call) {
                    byte[] got = new byte[c.payload().remaining()];
                    c.payload().get(got);
                    assertTrue(java.util.Arrays.equals(request, got), "the echo is byte-identical");
                    return;
                }
                throw new AssertionError("the legitimate call failed: " + e);
            }
            now += MS;
            client.onTimer(now);
            server.onTimer(now);
        }
        throw new AssertionError("the legitimate call did not complete; server " + serverStats);
    }

    /** Only the datagrams of the first record (segment 0, up to one full record) of each message. */
    private static List<byte[]> firstRecordOnly(List<byte[]> datagrams, int stride) {
        DataHeader h = new DataHeader();
        return datagrams.stream().filter(d -> h.decode(ByteBuffer.wrap(d)) && h.segmentOffset == 0
                && (long) h.packetIndex * stride < dev.sdp.wire.MessageLayout.MAX_RECORD_PLAINTEXT + 22).toList();
    }

    /**
     * Requests declaring 64 MiB of which only {@code firstPackets} arrive: what the server allocates
     * for them must be what arrives, not what they declare; a legitimate client is served after.
     */
    private void hugeDeclaredRequests(boolean encrypted, int count, java.util.function.UnaryOperator<List<byte[]>> firstPackets)
            throws RpcException {
        connect(attacker, ATTACKER, encrypted);
        connect(client, CLIENT, encrypted);
        ByteBuffer huge = ByteBuffer.allocate(64 << 20);
        long allocated = 0;
        for (int i = 0; i < count; i++) {
            attacker.submitCall(attacker.prepareCall(SERVER, huge.duplicate()), new Object(), now);
            allocated += serverAllocates(ATTACKER, firstPackets.apply(drain(attacker)));
        }
        assertTrue(allocated < 16L << 20, count + " truncated requests cost the server " + allocated + " bytes");
        legitimateCallCompletes();
    }

    /** F1: authenticated requests declaring 64 MiB that send only their first record. */
    @Test
    void requestsThatDeclareHugeLengthsCostOnlyWhatArrives() throws RpcException {
        hugeDeclaredRequests(true, 16, datagrams -> firstRecordOnly(datagrams, config.stride()));
    }

    /** F16: the same in plaintext mode, where nothing authenticates and every byte is taken on trust. */
    @Test
    void plaintextRequestsThatDeclareHugeLengthsCostOnlyWhatArrives() throws RpcException {
        hugeDeclaredRequests(false, 24, datagrams -> datagrams.subList(0, 1));
    }

    /** F2: junk DATA that never authenticates, one small packet per 64 KiB segment. */
    @Test
    void junkInManySegmentsIsChargedForWhatItMakesTheServerHold() throws RpcException {
        connect(attacker, ATTACKER, true);
        connect(client, CLIENT, true);
        List<byte[]> junk = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            junk.add(Mechanisms.forgedData(random, (1 + i / 1024L) << 1, 64 << 20,
                    (i % 1024L) * dev.sdp.wire.MessageLayout.SEGMENT_SIZE, 0, DataHeader.MIN_STRIDE));
        }
        long allocated = serverAllocates(ATTACKER, junk);
        assertTrue(allocated < 2 * config.maxUnauthenticatedBytes(),
                "~1 MiB of junk made the server allocate " + allocated + " bytes; " + serverStats);
        assertTrue(server.unauthenticatedBytes(ATTACKER) <= config.maxUnauthenticatedBytes());
        legitimateCallCompletes();
    }

    /** F4, F3: requests whose responses are never acknowledged draw a bounded number of NEED_ACKs. */
    @Test
    void unacknowledgedResponsesDrawBoundedControlTraffic() throws RpcException {
        connect(attacker, ATTACKER, true);
        connect(client, CLIENT, true);
        long received = 0;
        for (int i = 0; i < 512; i++) {
            attacker.submitCall(attacker.prepareCall(SERVER, ByteBuffer.allocate(16)), new Object(), now);
        }
        for (byte[] d : drain(attacker)) {
            received += d.length;
            server.receive(ATTACKER, ByteBuffer.wrap(d), now);
        }
        EngineEvent<Object> e;
        while ((e = server.pollEvent()) != null) {
            EngineEvent.RequestReceived<Object> r = (EngineEvent.RequestReceived<Object>) e;
            server.submitReply(server.prepareReply(r.call(), r.payload()), now);
        }
        long responseBytes = drain(server).stream().mapToLong(d -> d.length).sum();
        long controlBytes = 0;
        for (int ms = 0; ms < 5000; ms++) {
            now += MS;
            server.onTimer(now);
            controlBytes += drain(server).stream().mapToLong(d -> d.length).sum();
        }
        assertTrue(controlBytes <= 3 * received + ControlQueue.INITIAL_CREDIT,
                "control bytes sent " + controlBytes + " for " + received + " received");
        assertTrue(responseBytes > 0);
        legitimateCallCompletes();
    }

    /** F17a: a request delivered from a session that is then replaced is recognisably not the new session's. */
    @Test
    void aRequestFromAReplacedSessionIsNotTheNewSessions() throws RpcException {
        connect(client, CLIENT, true);
        client.submitCall(client.prepareCall(SERVER, ByteBuffer.allocate(8)), new Object(), now);
        for (byte[] d : drain(client)) {
            server.receive(CLIENT, ByteBuffer.wrap(d), now);
        }
        EngineEvent.RequestReceived<Object> request = (EngineEvent.RequestReceived<Object>) server.pollEvent();
        assertTrue(server.isCurrent(request.call()));
        CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
        byte[] other = new byte[32];
        other[0] = 1;
        long replacement = server.replacePeer(CLIENT, EpochKeys.initial(suite, new byte[32]), EpochKeys.initial(suite, other), now);
        assertTrue(!server.isCurrent(request.call()) && request.call().sessionId() != replacement,
                "the handler must not see this request as the new session's");
    }

    /** F15: one secret for both directions would let a peer's own requests, reflected, pass as the other side's. */
    @Test
    void oneSecretForBothDirectionsIsRefused() {
        EpochKeys keys = EpochKeys.initial(CipherSuite.TLS_AES_128_GCM_SHA256, new byte[32]);
        EpochKeys same = EpochKeys.initial(CipherSuite.TLS_AES_128_GCM_SHA256, new byte[32]);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> server.addPeer(CLIENT, keys, same));
        assertTrue(!server.hasPeer(CLIENT));
    }

    /** F12: junk DATA from the address of a session whose client left draws little output and leaves nothing behind. */
    @Test
    void junkFromADepartedClientsAddressDrawsLittleAndExpires() {
        connect(client, CLIENT, true);
        long received = 0;
        long sent = 0;
        for (int i = 0; i < 4096; i++) {
            byte[] packet = Mechanisms.forgedData(random, (1000L + i) << 1, 1 << 20, 0, random.nextInt(40), config.stride());
            received += packet.length;
            server.receive(CLIENT, ByteBuffer.wrap(packet), now);
            now += 10_000;
            server.onTimer(now);
            sent += drain(server).stream().mapToLong(d -> d.length).sum();
        }
        for (int ms = 0; ms < 1000; ms++) {
            now += MS;
            server.onTimer(now);
            sent += drain(server).stream().mapToLong(d -> d.length).sum();
        }
        assertTrue(sent <= received / 4, "junk of " + received + " bytes drew " + sent + " bytes; " + serverStats);
        assertEquals(0, server.openServerRpcs(CLIENT), "every junk request expired");
        assertEquals(0, server.unauthenticatedBytes(CLIENT));
    }

    /**
     * F11: a forged copy of a record's first packet, arriving before the genuine one, with a record
     * header that does not match the layout (BAD_LENGTH): the record is asked for again, the message
     * is not thrown away.
     */
    @Test
    void aForgedRecordStartCostsARetransmissionNotTheMessage() throws RpcException {
        connect(client, CLIENT, true);
        echoCompletes(40_000, datagrams -> {
            List<byte[]> tampered = new ArrayList<>();
            byte[] forged = datagrams.get(0).clone();
            forged[DataHeader.LENGTH + 3] ^= 0x40; // the record header's length field
            tampered.add(forged);
            tampered.addAll(datagrams);
            return tampered;
        });
        assertEquals(0, serverStats.get(Counter.MESSAGES_DISCARDED), "the genuine message was kept");
        assertTrue(serverStats.records().count(dev.sdp.crypto.RecordStatus.BAD_LENGTH) > 0, "the forged record was seen and refused");
    }
}
