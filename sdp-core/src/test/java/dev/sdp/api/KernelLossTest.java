package dev.sdp.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.DatagramIo;
import dev.sdp.testing.NetnsPair;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Encrypted RPCs between two JVMs in two network namespaces joined by a veth pair, with the
 * kernel's nftables dropping a random share of UDP packets in each direction. Skipped, saying why,
 * where namespaces cannot be created (not root, no {@code ip} or {@code nft}).
 */
class KernelLossTest {
    private static final int SERVER_PORT = 47000;
    private static final int CLIENT_PORT = 47001;

    @BeforeAll
    static void namespacesAvailable() {
        String reason = NetnsPair.unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "kernel loss tests skipped: " + reason);
    }

    private record Outcome(Map<String, Long> counts, long droppedByKernel) {
        long get(String key) {
            return counts.get(key);
        }
    }

    /** Runs the echo server in namespace B and a client making {@code count} RPCs in namespace A. */
    private static Outcome run(DatagramIo io, int lossPercent, int count, int maxSize, long rpcTimeoutMillis) throws Exception {
        byte[] c2s = new byte[32];
        byte[] s2c = new byte[32];
        SecureRandom random = new SecureRandom();
        random.nextBytes(c2s);
        random.nextBytes(s2c);
        try (NetnsPair net = NetnsPair.create(1500)) {
            if (lossPercent > 0) {
                net.dropUdp(lossPercent);
            }
            List<String> common = List.of("keys=" + HexFormat.of().formatHex(c2s) + "," + HexFormat.of().formatHex(s2c));
            List<String> clientArgs = new ArrayList<>(common);
            clientArgs.addAll(List.of(Integer.toString(count), Integer.toString(maxSize), "8", Long.toString(rpcTimeoutMillis)));
            Map<String, Long> counts = EchoPeerProcess.runPair(
                    net.inNamespace(false, EchoPeerProcess.command(io, "server", net.addressB, SERVER_PORT, net.addressA, CLIENT_PORT, common)),
                    net.inNamespace(true, EchoPeerProcess.command(io, "client", net.addressA, CLIENT_PORT, net.addressB, SERVER_PORT, clientArgs)));
            return new Outcome(counts, lossPercent > 0 ? net.droppedUdpPackets() : 0);
        }
    }

    /**
     * Both datagram drivers; with the Linux one, runs of datagrams go out in one GSO call, so a loss
     * can fall in the middle of a burst (and a GRO run comes back with a hole in it).
     */
    static Stream<Arguments> lossesAndDrivers() {
        return Stream.of(Arguments.of(1, DatagramIo.LINUX), Arguments.of(5, DatagramIo.LINUX), Arguments.of(20, DatagramIo.LINUX),
                Arguments.of(5, DatagramIo.NIO));
    }

    @ParameterizedTest(name = "{0} % UDP loss each way, {1} driver")
    @MethodSource("lossesAndDrivers")
    void everyRpcCompletesWithTheRightBytesUnderKernelLoss(int lossPercent, DatagramIo io) throws Exception {
        int count = 300;
        Outcome o = run(io, lossPercent, count, 300_000, 60_000);
        System.out.println(lossPercent + " % loss each way, " + io + ": " + o);
        assertEquals(count, o.get("completed"), () -> "all RPCs complete with identical bytes: " + o);
        assertTrue(o.droppedByKernel() > 0, "nftables dropped packets");
        assertTrue(o.get("resends") + o.get("retransmitted") > 0, "loss was recovered by the protocol");
        if (io == DatagramIo.LINUX) {
            assertTrue(o.get("send_calls") * 2 < o.get("packets_out"), () -> "datagrams went out in GSO runs: " + o);
        } else {
            assertEquals(o.get("packets_out"), o.get("send_calls") + o.get("not_sent"), () -> "java.nio sends one datagram per call: " + o);
        }
    }

    @Test
    void totalLossFailsEveryCallWithTimeout() throws Exception {
        Outcome o = run(DatagramIo.LINUX, 100, 20, 10_000, 1_000);
        assertEquals(0, o.get("completed"));
        assertEquals(20, o.get("timeouts"), () -> "every call fails with TIMEOUT: " + o);
        assertTrue(o.droppedByKernel() > 0);
    }
}
