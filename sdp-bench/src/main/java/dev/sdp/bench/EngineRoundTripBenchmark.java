package dev.sdp.bench;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.transport.Engine;
import dev.sdp.transport.EngineEvent;
import dev.sdp.transport.PreparedMessage;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.TransportConfig;
import dev.sdp.transport.TransportStats;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One whole RPC through two sans-IO engines joined in memory, on one thread: the protocol and
 * crypto cost of an RPC without sockets or thread hand-offs, encrypted against plaintext mode in
 * the same run. Time advances as in real traffic, so batched ACKs go out on their timer.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Thread)
public class EngineRoundTripBenchmark {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("10.0.0.1", 4000);
    private static final InetSocketAddress SERVER = new InetSocketAddress("10.0.0.2", 4000);
    /** Simulated time per RPC: 20 µs, a loopback round trip. */
    private static final long STEP_NANOS = 20_000;

    @Param({"true", "false"})
    public boolean encrypted;

    @Param({"64", "1024"})
    public int size;

    private Engine client;
    private Engine server;
    private ByteBuffer request;
    private final ByteBuffer wire = ByteBuffer.allocate(1 << 16);
    private final Object attachment = new Object();
    private long now;

    @Setup
    public void setUp() {
        TransportConfig config = TransportConfig.defaults();
        client = new Engine(config, new TransportStats());
        server = new Engine(config, new TransportStats());
        if (encrypted) {
            Random random = new Random(1);
            byte[] c2s = new byte[32];
            byte[] s2c = new byte[32];
            random.nextBytes(c2s);
            random.nextBytes(s2c);
            CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
            client.addPeer(SERVER, EpochKeys.initial(suite, c2s), EpochKeys.initial(suite, s2c));
            server.addPeer(CLIENT, EpochKeys.initial(suite, s2c), EpochKeys.initial(suite, c2s));
        } else {
            client.addPlaintextPeer(SERVER);
            server.addPlaintextPeer(CLIENT);
        }
        request = ByteBuffer.allocate(size);
    }

    @Benchmark
    public Object rpc() throws RpcException {
        now += STEP_NANOS;
        request.clear();
        PreparedMessage call = client.prepareCall(SERVER, request);
        client.submitCall(call, attachment, now);
        sealRemaining(client, call);
        Object response = null;
        while (response == null) {
            pump(client, CLIENT, server);
            EngineEvent e;
            while ((e = server.pollEvent()) != null) {
                if (e instanceof EngineEvent.RequestReceived r) {
                    PreparedMessage reply = server.prepareReply(r.call(), r.payload());
                    server.submitReply(reply, now);
                    sealRemaining(server, reply);
                }
            }
            pump(server, SERVER, client);
            while ((e = client.pollEvent()) != null) {
                if (e instanceof EngineEvent.CallCompleted c) {
                    response = c.payload();
                } else {
                    throw new IllegalStateException(e.toString());
                }
            }
        }
        client.onTimer(now);
        server.onTimer(now);
        pump(client, CLIENT, server);
        return response;
    }

    /** Messages over one segment are sealed after submission, a segment at a time. */
    private static void sealRemaining(Engine engine, PreparedMessage message) {
        while (message.sealNextSegment() && engine.resume(message)) {
            // Each sealed segment becomes sendable at once.
        }
    }

    private void pump(Engine from, InetSocketAddress fromAddress, Engine to) {
        while (true) {
            wire.clear();
            if (from.pollTransmit(wire) == null) {
                return;
            }
            wire.flip();
            to.receive(fromAddress, wire, now);
        }
    }
}
