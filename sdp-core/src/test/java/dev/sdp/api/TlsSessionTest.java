package dev.sdp.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.SdpSocket;
import dev.sdp.Statistic;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.HandshakeConfig.ClientAuth;
import dev.sdp.testing.TestCredentials;
import dev.sdp.testing.UdpRelay;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.TransportConfig;
import dev.sdp.wire.HandshakeHeader;
import dev.sdp.wire.PacketType;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Sessions whose keys come from TLS 1.3 handshakes carried over SDP, between real sockets on loopback. */
@Timeout(60)
class TlsSessionTest {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    static final TestCredentials PKI = TestCredentials.get();

    static HandshakeConfig.Builder tls(SSLContext context) {
        return HandshakeConfig.builder(context).retransmitInterval(Duration.ofMillis(20)).timeout(Duration.ofSeconds(3));
    }

    /** A server that echoes requests and remembers each client's verified identity. */
    static SdpSocket server(HandshakeConfig config, Map<InetSocketAddress, String> identities) throws Exception {
        return SdpSocket.builder().bind(LOOPBACK).tls(config).handler(request -> {
            identities.put(request.peer(), request.peerPrincipal().map(Object::toString).orElse("anonymous"));
            request.reply(request.payload());
        }).build();
    }

    static SdpSocket client(HandshakeConfig config) throws Exception {
        return SdpSocket.builder().bind(LOOPBACK).tls(config).build();
    }

    static byte[] echo(SdpSocket client, InetSocketAddress to, int size, long seed) throws Exception {
        byte[] request = new byte[size];
        new Random(seed).nextBytes(request);
        ByteBuffer response = client.call(to, ByteBuffer.wrap(request)).get(10, TimeUnit.SECONDS);
        byte[] got = new byte[response.remaining()];
        response.get(got);
        assertArrayEquals(request, got, "echo of " + size + " bytes");
        return got;
    }

    static RpcException failure(CompletableFuture<ByteBuffer> call) throws Exception {
        try {
            call.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return assertInstanceOf(RpcException.class, e.getCause());
        }
        throw new AssertionError("the call succeeded");
    }

    static void await(BooleanSupplier condition, Duration max, String what) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void concurrentFirstCallsShareOneHandshakeAndSucceed() throws Exception {
        Map<InetSocketAddress, String> identities = new ConcurrentHashMap<>();
        try (SdpSocket server = server(tls(PKI.server()).build(), identities);
             SdpSocket client = client(tls(PKI.anonymousClient()).build())) {
            InetSocketAddress to = server.localAddress();
            List<CompletableFuture<ByteBuffer>> calls = new ArrayList<>();
            List<byte[]> sent = new ArrayList<>();
            Random random = new Random(1);
            for (int i = 0; i < 40; i++) {
                byte[] request = new byte[i % 4 == 0 ? 200_000 : 100 + i];
                random.nextBytes(request);
                sent.add(request);
                calls.add(client.call(to, ByteBuffer.wrap(request)));
            }
            for (int i = 0; i < calls.size(); i++) {
                ByteBuffer response = calls.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(ByteBuffer.wrap(sent.get(i)), response, "call " + i);
            }
            assertEquals(1, client.statistics().get(Statistic.HANDSHAKES_STARTED), "one handshake for all first calls");
            assertEquals(1, server.statistics().get(Statistic.HANDSHAKES_COMPLETED));
            assertEquals("TLSv1.3", client.tlsSession(to).orElseThrow().getProtocol());
            assertEquals(client.keyEpochs(to).orElseThrow().suite().name(), client.tlsSession(to).orElseThrow().getCipherSuite());
            assertEquals(server.localAddress().getPort(), to.getPort());
            assertEquals("anonymous", identities.get(client.localAddress()), "no client certificate was asked for");
            echo(client, to, 64, 2);
            assertEquals(1, client.statistics().get(Statistic.HANDSHAKES_STARTED), "later calls reuse the session");
            assertEquals(0, server.statistics().recordsRejected());
        }
    }

    /** Threads racing to make the first call must all get through, whoever ends up establishing the session. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void firstCallsRacingFromManyThreadsAllSucceed(boolean tls) throws Exception {
        for (int attempt = 0; attempt < 10; attempt++) {
            SdpSocket.Builder serverBuilder = SdpSocket.builder().bind(LOOPBACK).handler(r -> r.reply(r.payload()));
            SdpSocket.Builder clientBuilder = SdpSocket.builder().bind(LOOPBACK);
            if (tls) {
                serverBuilder.tls(tls(PKI.server()).build());
                clientBuilder.tls(tls(PKI.anonymousClient()).build());
            } else {
                serverBuilder.plaintextPeers(true);
                clientBuilder.plaintextPeers(true);
            }
            try (SdpSocket server = serverBuilder.build(); SdpSocket client = clientBuilder.build()) {
                java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
                List<CompletableFuture<ByteBuffer>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    byte[] request = {(byte) t};
                    threads.add(Thread.ofPlatform().start(() -> {
                        try {
                            start.await();
                        } catch (InterruptedException e) {
                            return;
                        }
                        calls.add(client.call(server.localAddress(), ByteBuffer.wrap(request)));
                    }));
                }
                start.countDown();
                for (Thread t : threads) {
                    t.join();
                }
                for (CompletableFuture<ByteBuffer> call : calls) {
                    assertEquals(1, call.get(10, TimeUnit.SECONDS).remaining(), "attempt " + attempt);
                }
            }
        }
    }

    /**
     * A client sends its first request right behind its final flight; while the server's handshake
     * worker is still on that flight, the request is held, not dropped as from an unknown peer (to
     * be asked for again a retransmission timeout later, on the first RPC), even a first request
     * whose unscheduled bytes fill a whole segment (46 datagrams at MTU 1500).
     */
    @Test
    void theFirstRequestBehindTheFinalFlightIsNotLost() throws Exception {
        try (SdpSocket server = server(tls(PKI.server()).build(), new ConcurrentHashMap<>())) {
            for (int i = 0; i < 5; i++) {
                try (SdpSocket client = client(tls(PKI.anonymousClient()).build())) {
                    echo(client, server.localAddress(), i % 2 == 0 ? 100 : 200_000, 30 + i);
                }
            }
            assertEquals(5, server.statistics().get(Statistic.HANDSHAKES_COMPLETED));
            assertEquals(0, server.statistics().get(Statistic.UNKNOWN_PEER_PACKETS), "no first request was dropped: " + server.statistics());
        }
    }

    @Test
    void mutualTlsGivesHandlersTheClientIdentity() throws Exception {
        Map<InetSocketAddress, String> identities = new ConcurrentHashMap<>();
        try (SdpSocket server = server(tls(PKI.server()).clientAuth(ClientAuth.NEED).build(), identities);
             SdpSocket alice = client(tls(PKI.client("alice")).build());
             SdpSocket anonymous = client(tls(PKI.anonymousClient()).build())) {
            InetSocketAddress to = server.localAddress();
            echo(alice, to, 1000, 3);
            assertEquals("CN=alice", identities.get(alice.localAddress()));
            RpcException refused = failure(anonymous.call(to, ByteBuffer.wrap(new byte[10])));
            assertEquals(RpcException.Reason.HANDSHAKE_FAILED, refused.reason());
            assertInstanceOf(javax.net.ssl.SSLException.class, refused.getCause(), refused.toString());
            echo(alice, to, 1000, 4);
            assertTrue(server.statistics().get(Statistic.HANDSHAKES_FAILED) >= 1, server.statistics().toString());
        }
    }

    @Test
    void untrustedExpiredAndWrongHostCertificatesFailTheCallWithTheTlsCause() throws Exception {
        Map<InetSocketAddress, String> identities = new ConcurrentHashMap<>();
        try (SdpSocket good = server(tls(PKI.server()).build(), identities);
             SdpSocket expired = server(tls(PKI.expiredServer()).build(), identities);
             SdpSocket otherHost = server(tls(PKI.serverFor(List.of("db.example.com"))).build(), identities);
             SdpSocket stranger = client(tls(PKI.clientTrustingAnotherCa()).build());
             SdpSocket client = client(tls(PKI.anonymousClient()).build())) {
            RpcException untrusted = failure(stranger.call(good.localAddress(), ByteBuffer.wrap(new byte[1])));
            assertEquals(RpcException.Reason.HANDSHAKE_FAILED, untrusted.reason());
            assertTrue(untrusted.getMessage().contains("PKIX") || untrusted.getMessage().contains("certification path"), untrusted.getMessage());
            RpcException old = failure(client.call(expired.localAddress(), ByteBuffer.wrap(new byte[1])));
            assertTrue(old.getMessage().contains("expired") || old.getMessage().contains("validity"), old.getMessage());
            RpcException wrongHost = failure(client.call(otherHost.localAddress(), ByteBuffer.wrap(new byte[1])));
            assertTrue(wrongHost.getMessage().contains("127.0.0.1"), wrongHost.getMessage());
            assertInstanceOf(SSLHandshakeException.class, wrongHost.getCause());
            echo(client, good.localAddress(), 500, 5);
            assertTrue(good.statistics().get(Statistic.HANDSHAKES_FAILED) >= 1, "the server saw the stranger's alert: " + good.statistics());
            assertEquals(0, expired.statistics().get(Statistic.HANDSHAKES_COMPLETED));
            assertEquals(0, otherHost.statistics().get(Statistic.HANDSHAKES_COMPLETED));
        }
    }

    @Test
    void hostNameVerificationCanBeTurnedOffForAddressesTheCertificateDoesNotName() throws Exception {
        try (SdpSocket server = server(tls(PKI.serverFor(List.of("db.example.com"))).build(), new ConcurrentHashMap<>());
             SdpSocket client = client(tls(PKI.anonymousClient()).verifyHostname(false).build())) {
            echo(client, server.localAddress(), 100, 6);
        }
    }

    @Test
    void keysUpdateThroughManyEpochsWithCallsInBothDirections() throws Exception {
        TransportConfig small = TransportConfig.builder().keyUpdateLimit(16).build();
        Map<InetSocketAddress, String> identities = new ConcurrentHashMap<>();
        try (SdpSocket a = SdpSocket.builder().bind(LOOPBACK).config(small).tls(tls(PKI.server()).build())
                     .handler(r -> r.reply(r.payload())).build();
             SdpSocket b = SdpSocket.builder().bind(LOOPBACK).config(small).tls(tls(PKI.server()).build())
                     .handler(r -> r.reply(r.payload())).build()) {
            InetSocketAddress toA = a.localAddress();
            InetSocketAddress toB = b.localAddress();
            echo(b, toA, 10, 7);
            Random random = new Random(8);
            for (int round = 0; round < 30; round++) {
                List<CompletableFuture<ByteBuffer>> calls = new ArrayList<>();
                List<byte[]> sent = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    byte[] request = new byte[random.nextInt(40_000)];
                    random.nextBytes(request);
                    sent.add(request);
                    calls.add(i % 2 == 0 ? a.call(toB, ByteBuffer.wrap(request)) : b.call(toA, ByteBuffer.wrap(request)));
                }
                if (round % 5 == 0) {
                    assertTrue(a.updateKeys(toB));
                }
                for (int i = 0; i < calls.size(); i++) {
                    assertEquals(ByteBuffer.wrap(sent.get(i)), calls.get(i).get(10, TimeUnit.SECONDS), "round " + round + " call " + i);
                }
            }
            var fromA = a.keyEpochs(toB).orElseThrow();
            var fromB = b.keyEpochs(toA).orElseThrow();
            assertTrue(fromA.sendEpoch() > 10 && fromB.sendEpoch() > 10, "many epochs in both directions: " + fromA + " " + fromB);
            assertEquals(1, a.statistics().get(Statistic.HANDSHAKES_COMPLETED) + b.statistics().get(Statistic.HANDSHAKES_COMPLETED) - 1,
                    "one session served both directions");
            assertEquals(0, a.statistics().get(Statistic.MESSAGES_DISCARDED) + b.statistics().get(Statistic.MESSAGES_DISCARDED));
            assertFalse(identities.containsKey(toA));
        }
    }

    @Test
    void bothEndsCallingEachOtherFirstEndUpWithOneSession() throws Exception {
        for (int attempt = 0; attempt < 5; attempt++) {
            try (SdpSocket a = SdpSocket.builder().bind(LOOPBACK).tls(tls(PKI.server()).build()).handler(r -> r.reply(r.payload())).build();
                 SdpSocket b = SdpSocket.builder().bind(LOOPBACK).tls(tls(PKI.server()).build()).handler(r -> r.reply(r.payload())).build()) {
                CompletableFuture<ByteBuffer> ab = a.call(b.localAddress(), ByteBuffer.wrap(new byte[] {1}));
                CompletableFuture<ByteBuffer> ba = b.call(a.localAddress(), ByteBuffer.wrap(new byte[] {2}));
                assertEquals(ByteBuffer.wrap(new byte[] {1}), ab.get(10, TimeUnit.SECONDS));
                assertEquals(ByteBuffer.wrap(new byte[] {2}), ba.get(10, TimeUnit.SECONDS));
                await(() -> a.tlsSession(b.localAddress()).isPresent() && b.tlsSession(a.localAddress()).isPresent(), Duration.ofSeconds(5), "sessions");
                assertEquals(a.keyEpochs(b.localAddress()).orElseThrow().suite(), b.keyEpochs(a.localAddress()).orElseThrow().suite());
            }
        }
    }

    @Test
    void callsToAnUnreachablePeerFailWhenTheHandshakeTimesOut() throws Exception {
        try (SdpSocket client = client(tls(PKI.anonymousClient()).timeout(Duration.ofMillis(300)).build());
             java.nio.channels.DatagramChannel silent = java.nio.channels.DatagramChannel.open().bind(LOOPBACK)) {
            InetSocketAddress to = (InetSocketAddress) silent.getLocalAddress();
            RpcException e = failure(client.call(to, ByteBuffer.wrap(new byte[1])));
            assertEquals(RpcException.Reason.HANDSHAKE_FAILED, e.reason());
            assertTrue(e.getMessage().contains("did not complete"), e.getMessage());
            assertEquals(1, client.statistics().get(Statistic.HANDSHAKES_TIMED_OUT));
        }
    }

    @Test
    void idleSessionsCloseAndTheNextCallHandshakesAgain() throws Exception {
        try (SdpSocket server = server(tls(PKI.server()).build(), new ConcurrentHashMap<>());
             SdpSocket client = client(tls(PKI.anonymousClient()).idleTimeout(Duration.ofMillis(200)).build())) {
            InetSocketAddress to = server.localAddress();
            echo(client, to, 10, 9);
            await(() -> client.tlsSession(to).isEmpty(), Duration.ofSeconds(5), "the idle session to close");
            assertEquals(1, client.statistics().get(Statistic.SESSIONS_CLOSED_IDLE));
            echo(client, to, 10, 10);
            assertEquals(2, client.statistics().get(Statistic.HANDSHAKES_STARTED));
            assertEquals(1, server.statistics().get(Statistic.SESSIONS_REPLACED), "the server replaced the old session");
        }
    }

    @Test
    void closingASessionFailsItsCallsAndTheNextCallHandshakesAgain() throws Exception {
        try (SdpSocket server = server(tls(PKI.server()).build(), new ConcurrentHashMap<>());
             SdpSocket client = client(tls(PKI.anonymousClient()).build())) {
            InetSocketAddress to = server.localAddress();
            echo(client, to, 10, 11);
            assertTrue(client.closeSession(to));
            assertFalse(client.closeSession(to));
            assertTrue(client.tlsSession(to).isEmpty());
            echo(client, to, 10, 12);
            assertEquals(2, client.statistics().get(Statistic.HANDSHAKES_STARTED));
        }
    }

    @Test
    void aRestartedServerIsReachedAgainAtOnceAfterItsClose() throws Exception {
        SdpSocket server = server(tls(PKI.server()).build(), new ConcurrentHashMap<>());
        InetSocketAddress to = server.localAddress();
        try (SdpSocket client = SdpSocket.builder().bind(LOOPBACK).tls(tls(PKI.anonymousClient()).build()).build()) {
            echo(client, to, 10, 13);
            server.close();
            try (SdpSocket restarted = SdpSocket.builder().bind(to).tls(tls(PKI.server()).build()).handler(r -> r.reply(r.payload())).build()) {
                // The old server's CLOSE ended the session: the next call handshakes with the new one, no call is lost.
                echo(client, to, 10, 14);
                assertEquals(2, client.statistics().get(Statistic.HANDSHAKES_STARTED));
                assertEquals(1, client.statistics().get(Statistic.SESSIONS_CLOSED_BY_PEER));
            }
        }
    }

    /**
     * A bad link, as measured in issue 14 (2 of 8 fresh clients failed there): through a relay that
     * loses 10 % of the datagrams each way and changes a byte in 20 % of the rest, eight fresh
     * clients one after another each handshake and make two calls (of one and of three packets), and
     * every call succeeds.
     */
    @Test
    void freshClientsThroughALossyCorruptingLinkAllSucceed() throws Exception {
        try (SdpSocket server = server(tls(PKI.server()).build(), new ConcurrentHashMap<>());
             UdpRelay relay = new UdpRelay(server.localAddress())) {
            relay.impair(0.10, 0.20);
            for (int c = 0; c < 8; c++) {
                // With about 28 % of datagrams lost, a handshake now and then needs several
                // retransmissions at backed-off intervals: allow it the default timeout and more.
                try (SdpSocket client = client(tls(PKI.anonymousClient()).timeout(Duration.ofSeconds(20)).build())) {
                    for (int size : new int[] {1000, 3000}) {
                        byte[] request = new byte[size];
                        new Random(100L * c + size).nextBytes(request);
                        assertEquals(ByteBuffer.wrap(request), client.call(relay.address(), ByteBuffer.wrap(request)).get(30, TimeUnit.SECONDS));
                    }
                    assertEquals(1, client.statistics().get(Statistic.HANDSHAKES_COMPLETED), "client " + c + ": " + client.statistics());
                }
            }
            assertTrue(server.statistics().get(Statistic.HANDSHAKE_PACKETS_CORRUPTED) > 0, "damaged handshake datagrams were caught: " + server.statistics());
        }
    }

    /**
     * F10: an attacker who sees the handshake sends the server a junk flight 2 (right nonce, right
     * checksum) just ahead of the client's genuine one. The server's TLS engine fails on it and
     * refuses, after the client already holds keys and has sent its first call; the call must still
     * succeed: the client starts a fresh handshake and sends it again (the server never had keys to
     * take it with).
     */
    @Test
    void aJunkFinalFlightAheadOfTheClientsDoesNotFailItsCalls() throws Exception {
        try (SdpSocket server = server(tls(PKI.server()).build(), new ConcurrentHashMap<>());
             UdpRelay relay = new UdpRelay(server.localAddress());
             SdpSocket client = client(tls(PKI.anonymousClient()).build())) {
            AtomicBoolean attacked = new AtomicBoolean();
            relay.sendAheadOfClient(d -> {
                HandshakeHeader h = new HandshakeHeader();
                if (d[1] != PacketType.HANDSHAKE.code() || !h.decode(ByteBuffer.wrap(d)) || h.flight != 2 || attacked.getAndSet(true)) {
                    return List.of();
                }
                byte[] junk = d.clone();
                for (int i = HandshakeHeader.LENGTH + 5; i < junk.length; i++) {
                    junk[i] ^= 0x33;
                }
                HandshakeHeader.sealChecksum(ByteBuffer.wrap(junk));
                return List.of(junk);
            });
            echo(client, relay.address(), 100, 50);
            assertTrue(attacked.get(), "the junk flight went ahead");
            assertEquals(1, server.statistics().get(Statistic.HANDSHAKES_FAILED), "the junk failed the first attempt: " + server.statistics());
            assertEquals(1, client.statistics().get(Statistic.HANDSHAKES_RETRIED), client.statistics().toString());
            echo(client, relay.address(), 100, 51);
            assertEquals(2, client.statistics().get(Statistic.HANDSHAKES_STARTED), "the second session serves later calls");
        }
    }

    /**
     * F13: after a call to {@code localhost:P}, a call to another name of the same address reuses
     * the session only if the server's certificate covers that name too; a name it does not cover
     * fails the call, as a handshake with it would have, and the session stays usable.
     */
    @Test
    void aSessionVerifiedForOneNameCarriesNoCallToAnotherItsCertificateDoesNotCover() throws Exception {
        try (SdpSocket server = server(tls(PKI.serverFor(List.of("localhost"))).build(), new ConcurrentHashMap<>());
             SdpSocket client = client(tls(PKI.anonymousClient()).build())) {
            int port = server.localAddress().getPort();
            echo(client, new InetSocketAddress("localhost", port), 10, 17);
            // "bank.example" resolving to the same address, as a hosts file or a DNS answer would make it.
            InetSocketAddress sameAddress = new InetSocketAddress(java.net.InetAddress.getByAddress("bank.example",
                    server.localAddress().getAddress().getAddress()), port);
            assertEquals(server.localAddress(), sameAddress, "one address, two names");
            RpcException refused = failure(client.call(sameAddress, ByteBuffer.wrap(new byte[10])));
            assertEquals(RpcException.Reason.HANDSHAKE_FAILED, refused.reason());
            assertTrue(refused.getMessage().contains("bank.example"), refused.getMessage());
            assertEquals(1, client.statistics().get(Statistic.CALLS_REFUSED_FOR_NAME));
            echo(client, new InetSocketAddress("localhost", port), 10, 18);
        }
    }

    /**
     * Someone who can send from the client's address (here: through the relay the client talks
     * through) brings the server to its integrity limit with forged DATA. The server ends the session
     * and says so (an authenticated CLOSE): the client's next call handshakes again at once, instead
     * of sending into a session the server no longer has until its call times out.
     */
    @Test
    void aSessionEndedByTheIntegrityLimitIsReplacedOnTheNextCall() throws Exception {
        int limit = 8;
        TransportConfig strict = TransportConfig.builder().integrityLimit(limit).build();
        try (SdpSocket server = SdpSocket.builder().bind(LOOPBACK).config(strict).tls(tls(PKI.server()).build())
                     .handler(r -> r.reply(r.payload())).build();
             UdpRelay relay = new UdpRelay(server.localAddress());
             SdpSocket client = client(tls(PKI.anonymousClient()).build())) {
            InetSocketAddress to = relay.address();
            echo(client, to, 100, 15);
            byte[] genuine = relay.fromClients().stream().filter(d -> d[1] == PacketType.DATA.code()).reduce((a, b) -> b).orElseThrow();
            for (int i = 1; i <= limit; i++) {
                byte[] forged = genuine.clone();
                // A request ID above any used, so the replay window lets it through to decryption.
                long id = 0;
                for (int b = 4; b < 10; b++) {
                    id = id << 8 | (forged[b] & 0xFF);
                }
                id += 2L * i;
                for (int b = 9; b >= 4; b--, id >>>= 8) {
                    forged[b] = (byte) id;
                }
                relay.sendToServer(forged);
            }
            await(() -> server.statistics().get(Statistic.SESSIONS_INTEGRITY_LIMIT) == 1, Duration.ofSeconds(5), "the server ends the session");
            await(() -> client.statistics().get(Statistic.SESSIONS_CLOSED_BY_PEER) == 1, Duration.ofSeconds(5), "the client is told");
            echo(client, to, 100, 16);
            assertEquals(2, client.statistics().get(Statistic.HANDSHAKES_COMPLETED), "the next call made a new session");
        }
    }

    @Test
    void withoutTlsConfiguredACallToAnUnknownPeerFailsAtOnce() throws Exception {
        try (SdpSocket client = SdpSocket.builder().bind(LOOPBACK).build()) {
            RpcException e = failure(client.call(new InetSocketAddress("127.0.0.1", 9), ByteBuffer.wrap(new byte[1])));
            assertEquals(RpcException.Reason.NO_SESSION, e.reason());
            assertThrows(IllegalArgumentException.class, () -> HandshakeConfig.builder(PKI.server()).maxPendingTotal(1).maxPendingPerSource(2).build());
        }
    }
}
