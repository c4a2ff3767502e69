package dev.sdp.transport;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Function;

/**
 * Two engines joined by a simulated link with a fake clock: a client and a server that answers
 * with a handler. The link has a rate (so large messages take time and SRPT matters), a latency,
 * and a seeded impairment model that drops, duplicates, reorders and corrupts datagrams. Every run
 * with one seed is the same run.
 */
final class Simulation {
    static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 1001);
    static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 2002);

    /** Impairments applied to each datagram, independently. */
    static final class Impairment {
        double drop;
        double duplicate;
        double reorder;
        double corruptHeader;
        double corruptPayload;
    }

    private record InFlight(long at, long seq, InetSocketAddress from, InetSocketAddress to, byte[] bytes) { }

    final Engine client;
    final Engine server;
    final TransportStats clientStats = new TransportStats();
    final TransportStats serverStats = new TransportStats();
    final Impairment impairment = new Impairment();
    final Random random;
    final Map<Object, ByteBuffer> responses = new HashMap<>();
    final Map<Object, RpcException> failures = new HashMap<>();
    final List<byte[]> clientToServerLog = new ArrayList<>();
    final List<Long> completionOrder = new ArrayList<>();
    int requestsDelivered;
    long now = 1_000_000_000L;
    boolean logClientToServer;
    private final PriorityQueue<InFlight> wire = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final Map<InetSocketAddress, Long> linkFreeAt = new HashMap<>();
    private final ByteBuffer out = ByteBuffer.allocate(70_000);
    private final long latencyNanos = 5_000;
    private final double bytesPerNano = 1.0;
    private Function<ByteBuffer, ByteBuffer> handler = request -> request;
    private long seq;
    private final List<Object[]> delayedReplies = new ArrayList<>();
    private long handlerDelayNanos;

    Simulation(long seed, TransportConfig config, boolean encrypted) {
        random = new Random(seed);
        client = new Engine(config, clientStats);
        server = new Engine(config, serverStats);
        if (encrypted) {
            CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
            byte[] c2s = new byte[32];
            byte[] s2c = new byte[32];
            random.nextBytes(c2s);
            random.nextBytes(s2c);
            client.addPeer(SERVER, EpochKeys.initial(suite, c2s), EpochKeys.initial(suite, s2c));
            server.addPeer(CLIENT, EpochKeys.initial(suite, s2c), EpochKeys.initial(suite, c2s));
        } else {
            client.addPlaintextPeer(SERVER);
            server.addPlaintextPeer(CLIENT);
        }
    }

    void handler(Function<ByteBuffer, ByteBuffer> h) {
        handler = h;
    }

    void handlerDelay(long nanos) {
        handlerDelayNanos = nanos;
    }

    private static void sealRemaining(Engine engine, PreparedMessage prepared) {
        while (prepared.sealNextSegment() && engine.resume(prepared)) {
            // Each sealed segment becomes sendable at once.
        }
    }

    /** Starts a call; returns its attachment. */
    Object call(ByteBuffer request) throws RpcException {
        Object attachment = new Object();
        PreparedMessage prepared = client.prepareCall(SERVER, request);
        client.submitCall(prepared, attachment, now);
        sealRemaining(client, prepared);
        return attachment;
    }

    /** Runs until {@code done} holds or {@code maxNanos} of simulated time pass; returns whether done. */
    boolean runUntil(java.util.function.BooleanSupplier done, long maxNanos) {
        long end = now + maxNanos;
        while (now < end) {
            pump(client, CLIENT, SERVER);
            pump(server, SERVER, CLIENT);
            drainEvents();
            if (done.getAsBoolean()) {
                return true;
            }
            long next = Math.min(Math.min(client.nextTimerNanos(), server.nextTimerNanos()), end);
            if (!wire.isEmpty()) {
                next = Math.min(next, wire.peek().at);
            }
            for (Object[] r : delayedReplies) {
                next = Math.min(next, (long) r[0]);
            }
            now = Math.max(now, next);
            deliverDue();
            replyDue();
            client.onTimer(now);
            server.onTimer(now);
        }
        return done.getAsBoolean();
    }

    void inject(InetSocketAddress from, Engine to, byte[] datagram) {
        to.receive(from, ByteBuffer.wrap(datagram), now);
    }

    private void pump(Engine engine, InetSocketAddress from, InetSocketAddress to) {
        while (true) {
            out.clear();
            InetSocketAddress dest = engine.pollTransmit(out);
            if (dest == null) {
                return;
            }
            byte[] bytes = new byte[out.position()];
            out.flip().get(bytes);
            if (logClientToServer && from.equals(CLIENT)) {
                clientToServerLog.add(bytes.clone());
            }
            long start = Math.max(now, linkFreeAt.getOrDefault(from, 0L));
            long sent = start + (long) (bytes.length / bytesPerNano);
            linkFreeAt.put(from, sent);
            transmit(sent + latencyNanos, from, dest, bytes);
        }
    }

    private void transmit(long at, InetSocketAddress from, InetSocketAddress to, byte[] bytes) {
        Impairment im = impairment;
        if (random.nextDouble() < im.drop) {
            return;
        }
        if (random.nextDouble() < im.corruptHeader) {
            int i = random.nextInt(Math.min(bytes.length, 26));
            bytes[i] ^= (byte) (1 << random.nextInt(8));
        }
        if (bytes.length > 26 && random.nextDouble() < im.corruptPayload) {
            int i = 26 + random.nextInt(bytes.length - 26);
            bytes[i] ^= (byte) (1 << random.nextInt(8));
        }
        long delay = random.nextDouble() < im.reorder ? random.nextInt(200_000) : 0;
        wire.add(new InFlight(at + delay, seq++, from, to, bytes));
        if (random.nextDouble() < im.duplicate) {
            wire.add(new InFlight(at + random.nextInt(100_000), seq++, from, to, bytes.clone()));
        }
    }

    private void deliverDue() {
        while (!wire.isEmpty() && wire.peek().at <= now) {
            InFlight f = wire.poll();
            (f.to.equals(SERVER) ? server : client).receive(f.from, ByteBuffer.wrap(f.bytes), now);
        }
    }

    private void drainEvents() {
        EngineEvent e;
        while ((e = server.pollEvent()) != null) {
            if (e instanceof EngineEvent.RequestReceived r) {
                requestsDelivered++;
                ByteBuffer response = handler.apply(r.payload());
                if (handlerDelayNanos > 0) {
                    delayedReplies.add(new Object[] {now + handlerDelayNanos, r.call(), response});
                } else {
                    reply(r.call(), response);
                }
            }
        }
        while ((e = client.pollEvent()) != null) {
            switch (e) {
                case EngineEvent.CallCompleted c -> {
                    responses.put(c.attachment(), c.payload());
                    completionOrder.add(now);
                }
                case EngineEvent.CallFailed f -> failures.put(f.attachment(), f.error());
                default -> throw new AssertionError(e);
            }
        }
    }

    private void replyDue() {
        for (java.util.Iterator<Object[]> it = delayedReplies.iterator(); it.hasNext(); ) {
            Object[] r = it.next();
            if ((long) r[0] <= now) {
                it.remove();
                reply((ServerCall) r[1], (ByteBuffer) r[2]);
            }
        }
    }

    private void reply(ServerCall call, ByteBuffer response) {
        try {
            PreparedMessage prepared = server.prepareReply(call, response);
            server.submitReply(prepared, now);
            sealRemaining(server, prepared);
        } catch (RpcException ex) {
            throw new AssertionError(ex);
        }
    }
}
