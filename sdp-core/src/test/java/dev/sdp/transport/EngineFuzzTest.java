package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.crypto.RecordCrypter;
import dev.sdp.testing.FuzzInput;
import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.MessageLayout;
import dev.sdp.wire.PacketType;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Fuzzes {@link Engine#receive} with real keys, sans I/O: a server engine with two encrypted
 * sessions and a plaintext one, and the two clients at the other ends, take a script of
 * fuzzer-chosen steps: raw datagrams, genuine datagrams (captured once from a real call of each
 * kind, so a mutation can get past authentication) mutated or with a header field overwritten,
 * datagrams the engines themselves sent (mutated), rounds of a clean link, and clock steps with
 * {@link Engine#onTimer}. The second encrypted session (TWIN) receives under the first one's keys,
 * so genuine packets authenticate from two peers at once and the totals of the receive budgets are
 * reached; it sends under keys of its own, so the server never seals two records alike.
 *
 * <p>Invariants, besides that nothing throws: after every step the memory each engine holds for
 * incoming messages is within the configured budgets per peer and in total, the totals agree with
 * the peers' shares, and a peer with no open RPC is charged nothing (no leak); no peer has more
 * RPCs open than the cap; every drain of {@link Engine#pollTransmit} ends within a bound (control
 * bytes to a peer never exceed the documented credit, {@link ControlQueue#INITIAL_CREDIT} plus
 * {@value ControlQueue#CREDIT_PER_BYTE_RECEIVED} per byte received from it, and DATA packets in one
 * drain never exceed twice the packets of the messages the engine was asked to send, each at most
 * once new and once retransmitted); the bytes the engines allocate while processing the script are
 * within {@link #allocationBound}; and after the script, a genuine call completes over a clean link.
 */
class EngineFuzzTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("10.0.0.1", 4000);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("10.0.0.2", 4000);
    private static final InetSocketAddress TWIN = new InetSocketAddress("10.0.0.3", 4000);
    private static final InetSocketAddress PLAIN = new InetSocketAddress("10.0.0.4", 4000);
    private static final InetSocketAddress STRANGER = new InetSocketAddress("10.0.0.66", 4000);
    private static final long MS = 1_000_000;
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /**
     * Budgets small enough that short scripts reach them: three segments of reassembly per peer.
     * The unscheduled bytes cover a full first record, which must authenticate before anything is granted.
     */
    private static final TransportConfig CONFIG = TransportConfig.builder()
            .unscheduledBytes(20 * 1024)
            .grantWindow(16 * 1024)
            .maxRpcsPerPeer(16)
            .maxMessageSize(256 * 1024)
            .maxUnauthenticatedBytes(48 * 1024)
            .maxUnauthenticatedBytesTotal(64 * 1024)
            .maxReassemblyBytes(3 * MessageLayout.SEGMENT_SIZE)
            .maxReassemblyBytesTotal(4 * MessageLayout.SEGMENT_SIZE)
            .unauthenticatedTimeout(Duration.ofMillis(100))
            .rpcTimeout(Duration.ofSeconds(1))
            .build();
    private static final CipherSuite SUITE = CipherSuite.TLS_AES_128_GCM_SHA256;
    private static final EpochKeys CLIENT_KEYS;
    private static final EpochKeys SERVER_KEYS;
    private static final EpochKeys TWIN_KEYS;
    /** At least the ciphers {@link RecordCrypter} caches per thread. */
    private static final int CACHED_CIPHERS = 16;
    /** Keys to seal under once each, in turn; more than two scrubs' worth, so none is still cached when its turn comes again. */
    private static final EpochKeys[] THROWAWAY_KEYS = new EpochKeys[3 * CACHED_CIPHERS];
    private static long scrubs;
    /** Two segments, so segment boundaries and grants are on the genuine path. */
    private static final byte[] REQUEST = new byte[70_000];
    private static final byte[] PLAIN_REQUEST = new byte[3_000];
    private static final byte[] LATE_REQUEST = new byte[3_000];
    private static final List<Datagram> GENUINE;

    static {
        Random random = new Random(2026);
        CLIENT_KEYS = EpochKeys.initial(SUITE, secret(random));
        SERVER_KEYS = EpochKeys.initial(SUITE, secret(random));
        TWIN_KEYS = EpochKeys.initial(SUITE, secret(random));
        for (int i = 0; i < THROWAWAY_KEYS.length; i++) {
            THROWAWAY_KEYS[i] = EpochKeys.initial(SUITE, secret(random));
        }
        random.nextBytes(REQUEST);
        random.nextBytes(PLAIN_REQUEST);
        random.nextBytes(LATE_REQUEST);
        World world = new World(new ArrayList<>());
        for (int i = 0; i < 200 && world.completed < 2; i++) {
            world.pump(1);
            world.advance(MS);
        }
        // Quiet periods after the calls, so the capture has the server's NEED_ACKs and the answers too.
        world.advance(200 * MS);
        world.advance(200 * MS);
        world.pump(4);
        if (world.completed != 2) {
            throw new IllegalStateException("the genuine calls did not complete; server " + world.server.stats());
        }
        GENUINE = List.copyOf(world.capture);
    }

    private static byte[] secret(Random random) {
        byte[] secret = new byte[SUITE.hashLength()];
        random.nextBytes(secret);
        return secret;
    }

    /** Where a datagram goes: which engine takes it, from which address, and which link's counters it moves. */
    private enum Dest { SERVER_FROM_CLIENT, SERVER_FROM_TWIN, SERVER_FROM_PLAIN, SERVER_FROM_STRANGER, CLIENT_FROM_SERVER, PLAIN_FROM_SERVER }

    private record Datagram(Dest dest, byte[] bytes) { }

    /** One end of a session as one engine sees it: what it received from the peer, and the control bytes it sent back. */
    private static final class Link {
        long bytesIn;
        long controlOut;
    }

    @FuzzTest
    void receiveStaysWithinBudgets(byte[] script) throws RpcException {
        // Allocation measured on this thread also counts one-off work of the JVM and of Jazzer's
        // hooks there (loading and instrumenting classes on a path taken for the first time); the
        // engines' own allocation is the same on every run of a script, so an excess counts only
        // if it repeats.
        World world = play(script);
        for (int run = 1; run < 3 && world.allocated > world.allocationBound(); run++) {
            world = play(script);
        }
        assertTrue(world.allocated <= world.allocationBound(),
                "the engines allocated " + world.allocated + " bytes for " + world.bytesDelivered + " bytes in "
                        + world.datagramsDelivered + " datagrams and " + world.timerSteps + " timer steps");
        world.lateCallCompletes();
    }

    /**
     * Plays a script: one step per opcode byte (modulo 8), its fields after it. 0: a raw datagram
     * (destination, length, bytes); 1: a genuine datagram, mutated ({@link FuzzInput#mutate});
     * 2: the same, but what the client sent comes from TWIN; 3: a genuine datagram with 4 bytes
     * overwritten (position, bytes); 4: a datagram in flight, taken off the wire and mutated; 5: 1 to
     * 8 rounds of a clean link; 6: a clock step of up to 65 ms; 7: one of up to 65 s.
     */
    private static World play(byte[] script) {
        World world = new World(null);
        FuzzInput in = new FuzzInput(script);
        while (in.more()) {
            int op = in.u8() % 8;
            switch (op) {
                case 0 -> world.deliver(Dest.values()[in.below(Dest.values().length)], in.bytes(in.below(1600)));
                case 1, 2 -> {
                    Datagram d = GENUINE.get(in.below(GENUINE.size()));
                    Dest dest = op == 2 && d.dest == Dest.SERVER_FROM_CLIENT ? Dest.SERVER_FROM_TWIN : d.dest;
                    world.deliver(dest, in.mutate(d.bytes));
                }
                case 3 -> {
                    Datagram d = GENUINE.get(in.below(GENUINE.size()));
                    byte[] bytes = d.bytes.clone();
                    int at = in.below(Math.max(1, bytes.length - 3));
                    for (int i = 0; i < 4 && at + i < bytes.length; i++) {
                        bytes[at + i] = (byte) in.u8();
                    }
                    world.deliver(d.dest, bytes);
                }
                case 4 -> {
                    if (!world.wire.isEmpty()) {
                        Datagram d = world.wire.remove(in.below(world.wire.size()));
                        world.deliver(d.dest, in.mutate(d.bytes));
                    }
                }
                case 5 -> world.pump(1 + in.below(8));
                case 6 -> world.advance(in.u16() * 1_000L);
                default -> world.advance(in.u16() * MS);
            }
            world.collect();
            world.checkBudgets();
        }
        return world;
    }

    /** The three engines, the datagrams between them, and what the invariants count. */
    private static final class World {
        final Engine<Object> server = new Engine<>(CONFIG, new TransportStats());
        final Engine<Object> client = new Engine<>(CONFIG, new TransportStats());
        final Engine<Object> plain = new Engine<>(CONFIG, new TransportStats());
        final Link serverClient = new Link();
        final Link serverTwin = new Link();
        final Link serverPlain = new Link();
        final Link clientServer = new Link();
        final Link plainServer = new Link();
        /** Per engine (server, client, plain): DATA packets of every message it was asked to send. */
        final long[] packetsToSend = new long[3];
        final ArrayList<Datagram> wire = new ArrayList<>();
        final ByteBuffer out = ByteBuffer.allocate(1 << 16);
        /** Every datagram sent, when capturing the genuine ones; else null. */
        final List<Datagram> capture;
        /** Per engine (server, client, plain): the state the budget checks read. */
        final Peers[] peers;
        final ReceiveBudget[] budgets;
        Object lateCall;
        byte[] lateResponse;
        RpcException lateFailure;
        int completed;
        long now = 1_000_000_000L;
        long allocated;
        long bytesDelivered;
        long datagramsDelivered;
        long timerSteps;

        World(List<Datagram> capture) {
            this.capture = capture;
            List<Engine<Object>> engines = List.of(server, client, plain);
            peers = new Peers[3];
            budgets = new ReceiveBudget[3];
            for (int i = 0; i < 3; i++) {
                peers[i] = field(engines.get(i), "peers", Peers.class);
                budgets[i] = field(engines.get(i), "budget", ReceiveBudget.class);
            }
            scrubCiphers();
            client.addPeer(SERVER, CLIENT_KEYS, SERVER_KEYS);
            // The same IDs in every world, as in the captured genuine traffic the scripts replay.
            client.startRpcIdsAt(SERVER, 1);
            server.addPeer(CLIENT, SERVER_KEYS, CLIENT_KEYS);
            server.addPeer(TWIN, TWIN_KEYS, CLIENT_KEYS);
            plain.addPlaintextPeer(SERVER);
            plain.startRpcIdsAt(SERVER, 1);
            server.addPlaintextPeer(PLAIN);
            try {
                call(client, 1, REQUEST, new Object());
                call(plain, 2, PLAIN_REQUEST, new Object());
            } catch (RpcException e) {
                throw new IllegalStateException(e);
            }
            collect();
        }

        /**
         * JCE's GCM refuses to encrypt twice in a row under one key and nonce, and every World seals
         * the records of the one before under the same keys (so that the genuine packets
         * authenticate), through this thread's cached ciphers. Sealing once under each of as many
         * throwaway keys, with nonces never used before, evicts every cached cipher and leaves none
         * whose last encryption a World could repeat.
         */
        private static void scrubCiphers() {
            RecordCrypter crypter = RecordCrypter.forCurrentThread(SUITE);
            ByteBuffer sealed = ByteBuffer.allocate(MessageLayout.RECORD_OVERHEAD);
            for (int i = 0; i < CACHED_CIPHERS; i++) {
                scrubs++;
                crypter.seal(THROWAWAY_KEYS[(int) (scrubs % THROWAWAY_KEYS.length)], scrubs, 0, true, ByteBuffer.allocate(0), sealed.clear());
            }
        }

        private void call(Engine<Object> engine, int index, byte[] request, Object attachment) throws RpcException {
            PreparedMessage prepared = engine.prepareCall(SERVER, ByteBuffer.wrap(request));
            packetsToSend[index] += packets(request.length, engine == client);
            engine.submitCall(prepared, attachment, now);
            sealRest(engine, prepared);
        }

        private static void sealRest(Engine<Object> engine, PreparedMessage prepared) {
            while (prepared.sealNextSegment() && engine.resume(prepared)) {
                // Each sealed segment is sendable at once, as SdpSocket does it.
            }
        }

        /** An upper bound on the DATA packets a message of {@code length} bytes takes, sent once. */
        private static long packets(long length, boolean encrypted) {
            return MessageLayout.protectedLength(length, encrypted) / CONFIG.stride() + MessageLayout.segmentCount(length);
        }

        void deliver(Dest dest, byte[] bytes) {
            Engine<Object> engine = switch (dest) {
                case CLIENT_FROM_SERVER -> client;
                case PLAIN_FROM_SERVER -> plain;
                default -> server;
            };
            InetSocketAddress from = switch (dest) {
                case SERVER_FROM_CLIENT -> CLIENT;
                case SERVER_FROM_TWIN -> TWIN;
                case SERVER_FROM_PLAIN -> PLAIN;
                case SERVER_FROM_STRANGER -> STRANGER;
                default -> SERVER;
            };
            Link link = switch (dest) {
                case SERVER_FROM_CLIENT -> serverClient;
                case SERVER_FROM_TWIN -> serverTwin;
                case SERVER_FROM_PLAIN -> serverPlain;
                case SERVER_FROM_STRANGER -> null;
                case CLIENT_FROM_SERVER -> clientServer;
                case PLAIN_FROM_SERVER -> plainServer;
            };
            if (link != null) {
                link.bytesIn += bytes.length;
            }
            bytesDelivered += bytes.length;
            datagramsDelivered++;
            long before = THREADS.getCurrentThreadAllocatedBytes();
            engine.receive(from, ByteBuffer.wrap(bytes), now);
            allocated += THREADS.getCurrentThreadAllocatedBytes() - before;
            events();
        }

        void advance(long nanos) {
            now += nanos;
            timerSteps++;
            long before = THREADS.getCurrentThreadAllocatedBytes();
            server.onTimer(now);
            client.onTimer(now);
            plain.onTimer(now);
            allocated += THREADS.getCurrentThreadAllocatedBytes() - before;
            events();
        }

        /** Rounds of a clean link: everything in flight is delivered, and what that sends is collected. */
        void pump(int rounds) {
            for (int r = 0; r < rounds && !wire.isEmpty(); r++) {
                List<Datagram> flight = List.copyOf(wire);
                wire.clear();
                for (Datagram d : flight) {
                    deliver(d.dest, d.bytes);
                }
                collect();
            }
        }

        /** The server echoes every request; the clients' outcomes are counted. */
        private void events() {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            EngineEvent<Object> e;
            while ((e = server.pollEvent()) != null) {
                if (e instanceof EngineEvent.RequestReceived<Object> r) {
                    try {
                        packetsToSend[0] += packets(r.payload().remaining(), !r.peer().equals(PLAIN));
                        PreparedMessage reply = server.prepareReply(r.call(), r.payload());
                        server.submitReply(reply, now);
                        sealRest(server, reply);
                    } catch (RpcException ex) {
                        throw new AssertionError("echoing a request failed", ex);
                    }
                }
            }
            for (Engine<Object> c : List.of(client, plain)) {
                while ((e = c.pollEvent()) != null) {
                    if (e instanceof EngineEvent.CallCompleted<Object> done) {
                        completed++;
                        if (done.attachment() == lateCall) {
                            lateResponse = new byte[done.payload().remaining()];
                            done.payload().get(lateResponse);
                        }
                    } else if (e instanceof EngineEvent.CallFailed<Object> failed && failed.attachment() == lateCall) {
                        lateFailure = failed.error();
                    } else if (e instanceof EngineEvent.SessionEnded<Object> ended) {
                        throw new AssertionError("a session ended: " + ended.reason());
                    }
                }
            }
            allocated += THREADS.getCurrentThreadAllocatedBytes() - before;
        }

        /** Drains every engine onto the wire, checking the bounds on what one drain may produce. */
        void collect() {
            drain(server, 0);
            drain(client, 1);
            drain(plain, 2);
        }

        private void drain(Engine<Object> engine, int index) {
            long dataPackets = 0;
            while (true) {
                long before = THREADS.getCurrentThreadAllocatedBytes();
                InetSocketAddress to = engine.pollTransmit(out.clear());
                allocated += THREADS.getCurrentThreadAllocatedBytes() - before;
                if (to == null) {
                    return;
                }
                byte[] bytes = new byte[out.position()];
                out.flip().get(bytes);
                Link link;
                Dest dest;
                if (engine == server) {
                    link = to.equals(CLIENT) ? serverClient : to.equals(TWIN) ? serverTwin : serverPlain;
                    dest = to.equals(CLIENT) ? Dest.CLIENT_FROM_SERVER : to.equals(PLAIN) ? Dest.PLAIN_FROM_SERVER : null;
                } else {
                    link = engine == client ? clientServer : plainServer;
                    dest = engine == client ? Dest.SERVER_FROM_CLIENT : Dest.SERVER_FROM_PLAIN;
                }
                if (CommonHeader.peekType(ByteBuffer.wrap(bytes)) == PacketType.DATA) {
                    dataPackets++;
                    assertTrue(dataPackets <= 2 * packetsToSend[index],
                            "one drain sent more than " + dataPackets + " DATA packets; asked to send " + packetsToSend[index]);
                } else {
                    link.controlOut += bytes.length;
                    assertTrue(link.controlOut <= ControlQueue.INITIAL_CREDIT + ControlQueue.CREDIT_PER_BYTE_RECEIVED * link.bytesIn,
                            "control bytes sent " + link.controlOut + " for " + link.bytesIn + " received");
                }
                if (dest != null) {
                    wire.add(new Datagram(dest, bytes));
                    if (capture != null) {
                        capture.add(new Datagram(dest, bytes));
                    }
                }
            }
        }

        void checkBudgets() {
            for (int i = 0; i < 3; i++) {
                long unauthenticated = 0;
                long reassembly = 0;
                for (Peer peer : peers[i].all()) {
                    assertTrue(peer.openRpcs() <= CONFIG.maxRpcsPerPeer(), peer.openRpcs() + " RPCs open");
                    assertTrue(peer.unauthenticatedBytes >= 0 && peer.unauthenticatedBytes <= CONFIG.maxUnauthenticatedBytes(),
                            "unauthenticated bytes of " + peer.address + ": " + peer.unauthenticatedBytes);
                    assertTrue(peer.reassemblyBytes >= 0 && peer.reassemblyBytes <= CONFIG.maxReassemblyBytes(),
                            "reassembly bytes of " + peer.address + ": " + peer.reassemblyBytes);
                    assertTrue(peer.openRpcs() > 0 || peer.unauthenticatedBytes + peer.reassemblyBytes == 0,
                            peer.address + " has no open RPC but is charged " + peer.unauthenticatedBytes + " + " + peer.reassemblyBytes);
                    unauthenticated += peer.unauthenticatedBytes;
                    reassembly += peer.reassemblyBytes;
                }
                ReceiveBudget budget = budgets[i];
                assertTrue(budget.unauthenticatedUsed() == unauthenticated && unauthenticated <= CONFIG.maxUnauthenticatedBytesTotal(),
                        "unauthenticated total " + budget.unauthenticatedUsed() + ", peers " + unauthenticated);
                assertTrue(budget.reassemblyUsed() == reassembly && reassembly <= CONFIG.maxReassemblyBytesTotal(),
                        "reassembly total " + budget.reassemblyUsed() + ", peers " + reassembly);
            }
        }

        /**
         * What the engines may allocate for a script. Each byte received may be held a few times
         * over on its way through (the packet's protected bytes, the record's plaintext, the
         * reassembled message handed to the application, the echo sealed back and received by the
         * client): 16 allocated bytes per byte delivered. A datagram may also make the server begin
         * a message, whose buffer for the whole first record is allocated with its first packet
         * (charged to the unauthenticated budget, which bounds what is held, not what evicted
         * requests cost): at the minimum stride a 282-byte packet costs about 17 KB, so each
         * datagram may cost a full record and 1 KiB of objects besides. A timer step may fail or
         * end RPCs, up to the cap of each peer, with an exception and an event each; 1 MiB covers
         * the first sends of the genuine calls. Nothing here grows with the lengths headers
         * declare. Over the corpus of a 10-minute run the engines allocated at most 13 % of it.
         */
        long allocationBound() {
            long perDatagram = MessageLayout.MAX_RECORD_PLAINTEXT + MessageLayout.RECORD_OVERHEAD + 1024;
            long perTimerStep = 5L * CONFIG.maxRpcsPerPeer() * 1024;
            return 16 * bytesDelivered + perDatagram * datagramsDelivered + perTimerStep * timerSteps + (1 << 20);
        }

        /** After the script, the link is clean: a new call from the encrypted client must complete, byte for byte. */
        void lateCallCompletes() throws RpcException {
            wire.clear();
            lateCall = new Object();
            call(client, 1, LATE_REQUEST, lateCall);
            long deadline = now + 3 * CONFIG.rpcTimeout().toNanos();
            while (lateResponse == null && lateFailure == null && now < deadline) {
                pump(16);
                if (lateResponse == null) {
                    long next = Math.min(server.nextTimerNanos(), Math.min(client.nextTimerNanos(), plain.nextTimerNanos()));
                    advance(Math.clamp(next - now, MS, 100 * MS));
                    collect();
                }
            }
            assertTrue(lateResponse != null, "a genuine call after the script did not complete: " + lateFailure + "; client " + client.stats() + "; server " + server.stats());
            assertArrayEquals(LATE_REQUEST, lateResponse);
        }

        private static <T> T field(Engine<Object> engine, String name, Class<T> type) {
            try {
                Field f = Engine.class.getDeclaredField(name);
                f.setAccessible(true);
                return type.cast(f.get(engine));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
