package dev.sdp.bench;

import dev.sdp.testing.EngineEndpoint;
import dev.sdp.testing.TestNetwork;
import dev.sdp.transport.EngineEvent;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.TransportConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
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
 * the same run. Time advances as in real traffic, so batched ACKs go out on their timer. The
 * engines are joined by the tests' network in its direct mode, which hands each datagram over in
 * the sender's buffer, so what the op allocates is the engines' doing.
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

    private TestNetwork network;
    private EngineEndpoint client;
    private ByteBuffer request;
    private final Object attachment = new Object();
    private ByteBuffer response;

    @Setup
    public void setUp() {
        TransportConfig config = TransportConfig.defaults();
        network = TestNetwork.direct(1);
        client = network.engine(CLIENT, config);
        client.connect(network.engine(SERVER, config), encrypted);
        client.onOutcome(e -> {
            if (!(e instanceof EngineEvent.CallCompleted c)) {
                throw new IllegalStateException(e.toString());
            }
            response = c.payload();
        });
        request = ByteBuffer.allocate(size);
    }

    /** The RPC completes at the instant it starts (nothing on a direct network takes time); then time moves on. */
    @Benchmark
    public Object rpc() throws RpcException {
        response = null;
        client.call(SERVER, request.clear(), attachment);
        network.run(STEP_NANOS);
        if (response == null) {
            throw new IllegalStateException("no response on a direct network");
        }
        return response;
    }
}
