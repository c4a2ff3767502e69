package dev.sdp.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.DatagramIo;
import dev.sdp.SdpSocket;
import dev.sdp.SocketStatistics;
import dev.sdp.Statistic;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.TransportConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Two {@link SdpSocket}s over real UDP sockets on loopback. */
class SdpSocketLoopbackTest {

    /** The handler's response: SHA-256 of the request, then the request, so the client can check both. */
    private static ByteBuffer respond(ByteBuffer request) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            ByteBuffer copy = request.duplicate();
            sha.update(copy);
            ByteBuffer response = ByteBuffer.allocate(32 + request.remaining());
            response.put(sha.digest()).put(request.duplicate()).flip();
            return response;
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] digest(ByteBuffer b) throws NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(b.duplicate());
        return sha.digest();
    }

    private record Pair(SdpSocket client, SdpSocket server) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    private static Pair pair(String host, TransportConfig config, boolean encrypted) throws Exception {
        return pair(host, config, encrypted, DatagramIo.AUTO);
    }

    private static Pair pair(String host, TransportConfig config, boolean encrypted, DatagramIo io) throws Exception {
        SdpSocket server = SdpSocket.builder().bind(new InetSocketAddress(host, 0)).config(config).io(io)
                .handler(r -> r.reply(respond(r.payload()))).build();
        SdpSocket client = SdpSocket.builder().bind(new InetSocketAddress(host, 0)).config(config).io(io).build();
        if (encrypted) {
            CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
            Random random = new Random();
            byte[] c2s = new byte[32];
            byte[] s2c = new byte[32];
            random.nextBytes(c2s);
            random.nextBytes(s2c);
            client.installKeys(server.localAddress(), EpochKeys.initial(suite, c2s), EpochKeys.initial(suite, s2c));
            server.installKeys(client.localAddress(), EpochKeys.initial(suite, s2c), EpochKeys.initial(suite, c2s));
        } else {
            client.installPlaintext(server.localAddress());
            server.installPlaintext(client.localAddress());
        }
        return new Pair(client, server);
    }

    /** An IPv6 socket's datagrams fit a 1500-byte MTU with IPv6's 40-byte header: at most 1452 bytes of UDP payload. */
    @Test
    @Timeout(30)
    void anIpv6SocketSizesItsDatagramsForTheIpv6Header() throws Exception {
        try (DatagramChannel peer = DatagramChannel.open().bind(new InetSocketAddress("::1", 0));
             SdpSocket client = SdpSocket.builder().bind(new InetSocketAddress("::1", 0)).build()) {
            InetSocketAddress to = (InetSocketAddress) peer.getLocalAddress();
            client.installPlaintext(to);
            client.call(to, ByteBuffer.allocate(20_000));
            ByteBuffer datagram = ByteBuffer.allocate(65_536);
            int largest = 0;
            for (int i = 0; i < 10; i++) {
                datagram.clear();
                peer.receive(datagram);
                largest = Math.max(largest, datagram.position());
            }
            assertEquals(1500 - 40 - 8, largest, "full DATA packets fill the IPv6 MTU exactly");
        }
    }

    /**
     * Every size class over each datagram driver, IPv4 and IPv6: the Linux one sends a message's
     * packets in GSO runs (fewer send calls than datagrams), java.nio one datagram per call.
     */
    @ParameterizedTest(name = "{0} driver, {1}")
    @CsvSource({"LINUX, 127.0.0.1", "LINUX, ::1", "NIO, 127.0.0.1", "NIO, ::1"})
    @Timeout(60)
    void echoesOfEverySizeOverEachDriver(DatagramIo io, String host) throws Exception {
        try (Pair p = pair(host, TransportConfig.defaults(), true, io)) {
            Random random = new Random(7);
            for (int size : new int[] {0, 1, 1400, 1500, 65_536, 200_000, 1 << 20}) {
                byte[] request = new byte[size];
                random.nextBytes(request);
                ByteBuffer response = p.client().callBlocking(p.server().localAddress(), ByteBuffer.wrap(request));
                byte[] got = new byte[response.remaining()];
                response.get(got);
                assertArrayEquals(digest(ByteBuffer.wrap(request)), Arrays.copyOfRange(got, 0, 32), "digest of " + size);
                assertArrayEquals(request, Arrays.copyOfRange(got, 32, got.length), "echo of " + size);
            }
            // Counted once the client is closed, so its I/O thread sends nothing between the reads.
            p.client().close();
            SocketStatistics stats = p.client().statistics();
            long packets = stats.get(Statistic.PACKETS_OUT);
            long calls = stats.get(Statistic.SEND_CALLS);
            if (io == DatagramIo.LINUX) {
                assertTrue(calls * 4 < packets, () -> calls + " send calls for " + packets + " datagrams");
            } else {
                // One call per datagram sent; a datagram given up on (a full send buffer) made none.
                assertEquals(packets, calls + stats.get(Statistic.DATAGRAMS_NOT_SENT));
            }
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void tenThousandMixedRpcsAreByteIdentical() throws Exception {
        try (Pair p = pair("127.0.0.1", TransportConfig.defaults(), true)) {
            Random random = new Random(42);
            int total = 10_000;
            Semaphore window = new Semaphore(32);
            List<CompletableFuture<Void>> checks = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; i < total; i++) {
                int pick = random.nextInt(1000);
                int size = pick < 5 ? random.nextInt(8 << 20) + 1 : pick < 80 ? random.nextInt(256 << 10) : random.nextInt(2048);
                if (i == 0) {
                    size = 0;
                } else if (i == 1) {
                    size = 8 << 20;
                }
                bytes += size;
                byte[] request = new byte[size];
                random.nextBytes(request);
                byte[] expected = digest(respond(ByteBuffer.wrap(request)));
                window.acquire();
                checks.add(p.client().call(p.server().localAddress(), ByteBuffer.wrap(request)).thenAccept(response -> {
                    try {
                        assertArrayEquals(expected, digest(response), "response digest");
                    } catch (NoSuchAlgorithmException e) {
                        throw new AssertionError(e);
                    }
                }).whenComplete((v, e) -> window.release()));
            }
            CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).get(200, TimeUnit.SECONDS);
            assertEquals(total, p.client().statistics().get(Statistic.RPCS_COMPLETED));
            assertEquals(total, p.server().statistics().get(Statistic.REQUESTS_DELIVERED), "each request delivered once");
            assertEquals(0, p.server().statistics().recordsRejected() + p.client().statistics().recordsRejected());
            System.out.printf("10,000 RPCs, %.1f MiB of requests: client %s%n", bytes / 1048576.0, p.client().statistics());
        }
    }

    @Test
    void plaintextModeAndIpv6Work() throws Exception {
        try (Pair p = pair("::1", TransportConfig.builder().ipv6(true).build(), false)) {
            byte[] request = new byte[100_000];
            new Random(1).nextBytes(request);
            ByteBuffer response = p.client().callBlocking(p.server().localAddress(), ByteBuffer.wrap(request));
            assertEquals(32 + request.length, response.remaining());
            byte[] echoed = new byte[request.length];
            response.position(32).get(echoed);
            assertArrayEquals(request, echoed);
        }
    }

    @Test
    void receiveLoopServesRequestsWithoutAHandler() throws Exception {
        TransportConfig config = TransportConfig.defaults();
        try (SdpSocket server = SdpSocket.builder().bind(new InetSocketAddress("127.0.0.1", 0)).config(config).build();
             SdpSocket client = SdpSocket.builder().bind(new InetSocketAddress("127.0.0.1", 0)).config(config).build()) {
            client.installPlaintext(server.localAddress());
            server.installPlaintext(client.localAddress());
            CompletableFuture<ByteBuffer> call = client.call(server.localAddress(), ByteBuffer.wrap(new byte[] {1, 2, 3}));
            var request = server.receive(Duration.ofSeconds(5));
            assertEquals(client.localAddress(), request.peer());
            request.reply(ByteBuffer.wrap(new byte[] {9}));
            assertEquals(ByteBuffer.wrap(new byte[] {9}), call.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void unreachablePeerTimesOutAndCloseFailsPendingCalls() throws Exception {
        TransportConfig config = TransportConfig.builder().resendInterval(Duration.ofMillis(5)).rpcTimeout(Duration.ofMillis(300)).build();
        try (SdpSocket client = SdpSocket.builder().bind(new InetSocketAddress("127.0.0.1", 0)).config(config).build()) {
            InetSocketAddress nobody = new InetSocketAddress("127.0.0.1", 9);
            byte[] secret = new byte[32];
            byte[] theirs = new byte[32];
            theirs[0] = 1;
            client.installKeys(nobody, EpochKeys.initial(CipherSuite.TLS_AES_128_GCM_SHA256, secret),
                    EpochKeys.initial(CipherSuite.TLS_AES_128_GCM_SHA256, theirs));
            RpcException timeout = assertThrows(RpcException.class, () -> client.callBlocking(nobody, ByteBuffer.allocate(8)));
            assertEquals(RpcException.Reason.TIMEOUT, timeout.reason());

            CompletableFuture<ByteBuffer> cancelled = client.call(nobody, ByteBuffer.allocate(8));
            assertTrue(cancelled.cancel(true));
            CompletableFuture<ByteBuffer> ownTimeout = client.call(nobody, ByteBuffer.allocate(8), Duration.ofMillis(20));
            ExecutionException e = assertThrows(ExecutionException.class, () -> ownTimeout.get(5, TimeUnit.SECONDS));
            assertEquals(RpcException.Reason.TIMEOUT, ((RpcException) e.getCause()).reason());

            CompletableFuture<ByteBuffer> pending = client.call(nobody, ByteBuffer.allocate(8));
            client.close();
            e = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
            assertEquals(RpcException.Reason.CLOSED, ((RpcException) e.getCause()).reason());
        }
    }

    @Test
    void tooLargeAndUnknownPeerFailClearly() throws Exception {
        TransportConfig config = TransportConfig.builder().maxMessageSize(1000).build();
        try (Pair p = pair("127.0.0.1", config, true)) {
            RpcException large = assertThrows(RpcException.class,
                    () -> p.client().callBlocking(p.server().localAddress(), ByteBuffer.allocate(1001)));
            assertEquals(RpcException.Reason.MESSAGE_TOO_LARGE, large.reason());
            RpcException unknown = assertThrows(RpcException.class,
                    () -> p.client().callBlocking(new InetSocketAddress("127.0.0.1", 7), ByteBuffer.allocate(1)));
            assertEquals(RpcException.Reason.NO_SESSION, unknown.reason());
        }
    }
}
