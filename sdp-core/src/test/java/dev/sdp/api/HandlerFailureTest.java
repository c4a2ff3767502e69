package dev.sdp.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.SdpSocket;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Handlers that fail in every way a handler can (exceptions, Errors, an executor that refuses the
 * work, never replying): each failure stays with its request, is counted, the caller learns of it
 * (an error response within a round trip; a handler that never replies, at the call's deadline),
 * and the server goes on serving.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandlerFailureTest {
    private static final byte[] SECRET_UP = new byte[32];
    private static final byte[] SECRET_DOWN = new byte[32];

    static {
        SECRET_UP[0] = 1;
        SECRET_DOWN[0] = 2;
    }

    /** Echoes, except a first byte of 1, 2 or 3, which throws an Error, overflows the stack, or throws an exception. */
    private static void handle(dev.sdp.IncomingRequest request) throws Exception {
        ByteBuffer payload = request.payload();
        switch (payload.hasRemaining() ? payload.get(0) : 0) {
            case 1 -> throw new AssertionError("a handler bug");
            case 2 -> handle(request);
            case 3 -> throw new IllegalStateException("a handler exception");
            case 4 -> { } // never replies
            default -> request.reply(payload);
        }
    }

    private static void connect(SdpSocket client, SdpSocket server) {
        CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
        client.installKeys(server.localAddress(), EpochKeys.initial(suite, SECRET_UP), EpochKeys.initial(suite, SECRET_DOWN));
        server.installKeys(client.localAddress(), EpochKeys.initial(suite, SECRET_DOWN), EpochKeys.initial(suite, SECRET_UP));
    }

    private static void echoWorks(SdpSocket client, SdpSocket server) throws Exception {
        byte[] request = {9, 8, 7};
        ByteBuffer response = client.callBlocking(server.localAddress(), ByteBuffer.wrap(request));
        byte[] got = new byte[response.remaining()];
        response.get(got);
        assertArrayEquals(request, got);
    }

    @Test
    void errorsAndExceptionsInHandlersDoNotStopTheServer() throws Exception {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        try (SdpSocket server = SdpSocket.builder().bind(any).handler(HandlerFailureTest::handle).build();
             SdpSocket client = SdpSocket.builder().bind(any).build()) {
            connect(client, server);
            for (byte k = 1; k <= 3; k++) {
                byte kind = k;
                long start = System.nanoTime();
                dev.sdp.transport.RpcException e = assertThrows(dev.sdp.transport.RpcException.class,
                        () -> client.callBlocking(server.localAddress(), ByteBuffer.wrap(new byte[] {kind}), Duration.ofSeconds(10)));
                assertEquals(dev.sdp.transport.RpcException.Reason.REMOTE_ERROR, e.reason(), "the server answered with an error: " + e);
                assertTrue(System.nanoTime() - start < 2_000_000_000L, "the caller learns within a round trip, not at its deadline");
                echoWorks(client, server);
            }
            assertEquals(3, server.handlerErrors());
            assertFalse(server.terminated().isDone(), "the server's I/O thread lives on");
        }
    }

    @Test
    void anExecutorThatRefusesWorkCostsOnlyThatRequest() throws Exception {
        AtomicInteger submitted = new AtomicInteger();
        Executor refusesFirst = task -> {
            if (submitted.getAndIncrement() == 0) {
                throw new RejectedExecutionException("queue full");
            }
            Thread.ofVirtual().start(task);
        };
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        try (SdpSocket server = SdpSocket.builder().bind(any).handler(HandlerFailureTest::handle).handlerExecutor(refusesFirst).build();
             SdpSocket client = SdpSocket.builder().bind(any).build()) {
            connect(client, server);
            var refused = client.call(server.localAddress(), ByteBuffer.wrap(new byte[] {0}), Duration.ofSeconds(10));
            ExecutionException e = assertThrows(ExecutionException.class, refused::get);
            assertEquals(dev.sdp.transport.RpcException.Reason.REMOTE_ERROR, ((dev.sdp.transport.RpcException) e.getCause()).reason());
            echoWorks(client, server);
            assertEquals(1, server.handlerErrors());
        }
    }

    @Test
    void aHandlerThatNeverRepliesFailsTheCallAtItsDeadline() throws Exception {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        try (SdpSocket server = SdpSocket.builder().bind(any).handler(HandlerFailureTest::handle).build();
             SdpSocket client = SdpSocket.builder().bind(any).callTimeout(Duration.ofMillis(300)).build()) {
            connect(client, server);
            long start = System.nanoTime();
            dev.sdp.transport.RpcException e = assertThrows(dev.sdp.transport.RpcException.class,
                    () -> client.callBlocking(server.localAddress(), ByteBuffer.wrap(new byte[] {4})));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(dev.sdp.transport.RpcException.Reason.TIMEOUT, e.reason());
            assertTrue(millis >= 300 && millis < 5_000, "failed after " + millis + " ms, at the socket's deadline, while the server kept it alive");
            assertThrows(dev.sdp.transport.RpcException.class,
                    () -> client.callBlocking(server.localAddress(), ByteBuffer.wrap(new byte[] {4}), Duration.ofMillis(100)));
            echoWorks(client, server);
        }
    }

    @Test
    void aFailedHandlerIsReportedInPlaintextModeToo() throws Exception {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        try (SdpSocket server = SdpSocket.builder().bind(any).plaintextPeers(true).handler(HandlerFailureTest::handle).build();
             SdpSocket client = SdpSocket.builder().bind(any).plaintextPeers(true).build()) {
            dev.sdp.transport.RpcException e = assertThrows(dev.sdp.transport.RpcException.class,
                    () -> client.callBlocking(server.localAddress(), ByteBuffer.wrap(new byte[] {3}), Duration.ofSeconds(10)));
            assertEquals(dev.sdp.transport.RpcException.Reason.REMOTE_ERROR, e.reason());
            assertTrue(e.getMessage().endsWith("request handler failed"), e.getMessage());
            echoWorks(client, server);
        }
    }

    @Test
    void aServerThatClosesTellsItsClientsAtOnce() throws Exception {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        SdpSocket server = SdpSocket.builder().bind(any).handler(HandlerFailureTest::handle).build();
        try (SdpSocket client = SdpSocket.builder().bind(any).build()) {
            connect(client, server);
            echoWorks(client, server);
            var pending = client.call(server.localAddress(), ByteBuffer.wrap(new byte[] {4}), Duration.ofSeconds(20));
            long start = System.nanoTime();
            server.close();
            ExecutionException e = assertThrows(ExecutionException.class, pending::get);
            assertEquals(dev.sdp.transport.RpcException.Reason.PEER_CLOSED, ((dev.sdp.transport.RpcException) e.getCause()).reason());
            assertTrue(System.nanoTime() - start < 2_000_000_000L, "the client learns of the close at once, not from silence");
            assertTrue(client.keyEpochs(server.localAddress()).isEmpty(), "and forgets the session");
        } finally {
            server.close();
        }
    }
}
