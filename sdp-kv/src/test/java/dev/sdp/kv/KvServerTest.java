package dev.sdp.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.SdpSocket;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.PemCredentials;
import dev.sdp.transport.TransportConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;

/**
 * One server, one database, three transports, checked with the clients people use: Debian's
 * {@code redis-cli} and {@code redis-benchmark} (plain and {@code --tls}), Jedis (plain and SSL),
 * and the SDP client; plus malformed and abandoned input over TCP, and hostile clients: one that
 * never reads its replies, and ones whose commands or replies outgrow their buffers.
 */
@Timeout(120)
class KvServerTest {
    @TempDir
    static Path dir;
    static Path certs;
    static KvServer server;
    static InetSocketAddress tcp;
    static InetSocketAddress tls;
    static InetSocketAddress sdp;
    static SdpSocket sdpSocket;
    static KvClient client;
    static SSLContext clientTls;

    @BeforeAll
    static void start() throws Exception {
        certs = DemoCredentials.generate(dir.resolve("certs"), List.of());
        SSLContext serverTls = PemCredentials.sslContext(certs.resolve("server.pem"), certs.resolve("server-key.pem"), certs.resolve("ca.pem"));
        // Limits small enough to reach quickly: 8 MiB per command, 4 MiB of replies per client, 24 MiB
        // over all clients, a 2 s write timeout.
        server = new KvServer(new KvStore(256L << 20), new KvServer.Limits(8L << 20, 4L << 20, 24L << 20, Duration.ofSeconds(2)));
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        tcp = server.listenTcp(loopback, null);
        tls = server.listenTcp(loopback, serverTls);
        sdp = server.listenSdp(loopback, HandshakeConfig.builder(serverTls).build(), TransportConfig.defaults());
        clientTls = PemCredentials.sslContext(null, null, certs.resolve("ca.pem"));
        sdpSocket = SdpSocket.builder().bind(loopback).tls(HandshakeConfig.builder(clientTls).build()).build();
        client = new KvClient(sdpSocket, sdp);
    }

    @AfterAll
    static void stop() {
        sdpSocket.close();
        server.close();
    }

    private static String tool(String name) {
        for (String d : List.of("/usr/bin/", "/usr/local/bin/")) {
            if (new java.io.File(d + name).canExecute()) {
                return d + name;
            }
        }
        Assumptions.abort(name + " is not installed (Debian package redis-tools; .ci/run installs it)");
        return null;
    }

    /** Runs a redis tool against {@code port} (with TLS when {@code tls}); returns its standard output. */
    private static String redis(String tool, boolean tls, int port, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(tool(tool), "-h", "127.0.0.1", "-p", Integer.toString(port)));
        if (tls) {
            command.addAll(List.of("--tls", "--cacert", certs.resolve("ca.pem").toString()));
        }
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void redisCliPlainAndTlsShareTheDatabaseWithSdp() throws Exception {
        assertEquals("OK", redis("redis-cli", false, tcp.getPort(), "SET", "plain-key", "from tcp").strip());
        assertEquals("from tcp", redis("redis-cli", true, tls.getPort(), "GET", "plain-key").strip());
        assertArrayEquals("from tcp".getBytes(), client.get("plain-key"));
        client.set("sdp-key", "written over SDP".getBytes());
        assertEquals("written over SDP", redis("redis-cli", true, tls.getPort(), "GET", "sdp-key").strip());
        client.hset("sdp-hash", Map.of("field", "value".getBytes()));
        assertEquals("value", redis("redis-cli", true, tls.getPort(), "HGET", "sdp-hash", "field").strip());
        redis("redis-cli", true, tls.getPort(), "HSET", "tls-hash", "a", "1", "b", "2");
        Map<String, byte[]> fields = client.hgetall("tls-hash");
        assertEquals(List.of("a", "b"), List.copyOf(fields.keySet()).stream().sorted().toList());
        assertEquals(2, client.incr("counter") + client.incr("counter") - 1);
        assertEquals(1, client.del("counter", "never-set"));
        assertEquals(null, client.get("counter"));
        assertTrue(redis("redis-cli", false, tcp.getPort(), "NOSUCHCOMMAND").contains("ERR unknown command"));
        assertTrue(redis("redis-cli", false, tcp.getPort(), "INFO").contains("redis_version"));
    }

    @Test
    void redisBenchmarkRunsItsCommandsPlainPipelinedAndOverTls() throws Exception {
        long errorsBefore = server.count(KvServer.Counter.PROTOCOL_ERRORS);
        String plain = redis("redis-benchmark", false, tcp.getPort(), "-t", "set,get,incr,hset", "-n", "5000", "-c", "8", "-q");
        for (String test : List.of("SET", "GET", "INCR", "HSET")) {
            assertTrue(plain.contains(test + ": ") && plain.contains("requests per second"), plain);
        }
        String pipelined = redis("redis-benchmark", false, tcp.getPort(), "-t", "set,get", "-n", "20000", "-P", "16", "-q");
        assertTrue(pipelined.contains("GET: "), pipelined);
        String overTls = redis("redis-benchmark", true, tls.getPort(), "-t", "set,get", "-n", "2000", "-c", "4", "-q");
        assertTrue(overTls.contains("GET: "), overTls);
        assertEquals(errorsBefore, server.count(KvServer.Counter.PROTOCOL_ERRORS), "redis-benchmark sent nothing we could not parse");
    }

    @Test
    void jedisPlainAndSsl() throws Exception {
        try (Jedis plain = new Jedis("127.0.0.1", tcp.getPort())) {
            assertEquals("OK", plain.set("jedis", "1"));
            assertEquals(5, plain.incrBy("jedis", 4));
            assertEquals(2, plain.hset("jedis-hash", Map.of("x", "1", "y", "2")));
        }
        try (Jedis ssl = new Jedis(new redis.clients.jedis.HostAndPort("localhost", tls.getPort()),
                DefaultJedisClientConfig.builder().ssl(true).sslSocketFactory(clientTls.getSocketFactory()).build())) {
            assertEquals("5", ssl.get("jedis"));
            assertEquals(Map.of("x", "1", "y", "2"), ssl.hgetAll("jedis-hash"));
        }
    }

    @Test
    void sdpClientAsyncCallsInParallel() throws Exception {
        List<CompletableFuture<Resp.Value>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            calls.add(client.commandAsync("SET", "async-" + i, "v" + i));
        }
        for (CompletableFuture<Resp.Value> c : calls) {
            assertEquals(new Resp.Value.Simple("OK"), c.get(10, TimeUnit.SECONDS));
        }
        assertEquals(new Resp.Value.Bulk("v199".getBytes()), client.command("GET", "async-199"));
        assertTrue(client.command("SET", "only-key") instanceof Resp.Value.Error);
    }

    @Test
    void malformedHugeAndAbandonedInputNeverStopsTheServer() throws Exception {
        long before = server.count(KvServer.Counter.PROTOCOL_ERRORS);
        for (String bad : List.of("*1\r\n$abc\r\n", "*2\r\n$3\r\nGET\r\n:5\r\n", "*1\r\n$999999999999\r\n", "*2147483647\r\n")) {
            try (Socket s = new Socket(tcp.getAddress(), tcp.getPort())) {
                s.getOutputStream().write(bad.getBytes(StandardCharsets.ISO_8859_1));
                String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(reply.startsWith("-ERR Protocol error"), bad + " -> " + reply);
            }
        }
        assertEquals(before + 4, server.count(KvServer.Counter.PROTOCOL_ERRORS));
        // Clients that vanish in the middle of a command, including one that promised 64 MiB.
        for (String partial : List.of("*3\r\n$3\r\nSET\r\n$1\r\nk", "*1\r\n$67108864\r\nabc", "*2\r\n")) {
            Socket s = new Socket(tcp.getAddress(), tcp.getPort());
            OutputStream out = s.getOutputStream();
            out.write(partial.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            s.close();
        }
        try (Socket s = new Socket(tcp.getAddress(), tcp.getPort())) {
            s.getOutputStream().write("*1\r\n$4\r\nPING\r\nPING\r\n".getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            byte[] reply = in.readNBytes(14);
            assertEquals("+PONG\r\n+PONG\r\n", new String(reply, StandardCharsets.ISO_8859_1), "still serving, pipelined and inline");
        }
        assertTrue(client.command("GARBAGE") instanceof Resp.Value.Error);
        assertEquals(new Resp.Value.Simple("PONG"), client.command("PING"));
    }

    /** A TCP client whose reads give up after 10 s, so a server that stops answering fails the test rather than hanging it. */
    private static Socket connect(InetSocketAddress to) throws IOException {
        Socket s = to == tls ? clientTls.getSocketFactory().createSocket(to.getAddress(), to.getPort())
                : new Socket(to.getAddress(), to.getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static Resp.Value readReply(Socket s) throws IOException {
        return new Resp.Reader(s.getInputStream(), Long.MAX_VALUE).readValue();
    }

    /** PING answered on every transport within seconds, whatever another client is doing. */
    private static void assertEveryTransportServes() throws Exception {
        for (InetSocketAddress to : List.of(tcp, tls)) {
            try (Socket s = connect(to)) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertEquals(new Resp.Value.Simple("PONG"), readReply(s), to == tls ? "TLS" : "TCP");
            }
        }
        assertEquals(new Resp.Value.Simple("PONG"), client.commandAsync("PING").get(5, TimeUnit.SECONDS), "SDP");
    }

    /**
     * Writes {@code head}, then {@code body} {@code times} over, from a daemon thread that stops when
     * the server hangs up; {@code sent} counts the bytes written.
     */
    private static Thread sendInBackground(Socket s, byte[] head, byte[] body, long times, AtomicLong sent) {
        return Thread.ofPlatform().daemon().start(() -> {
            try {
                OutputStream out = s.getOutputStream();
                out.write(head);
                for (long i = 0; i < times; i++) {
                    out.write(body);
                    sent.addAndGet(body.length);
                }
            } catch (IOException e) {
                // Disconnected by the server: what the hostile tests expect.
            }
        });
    }

    /**
     * Returns once {@code sent} has not moved for half a second: the peer no longer takes bytes. A
     * stall is a lasting absence of progress, so it can only be seen by waiting; bounded at 30 s.
     */
    private static void awaitStalled(AtomicLong sent) throws InterruptedException {
        long seen = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (sent.get() == 0 || sent.get() != seen) {
            assertTrue(System.nanoTime() < deadline, "the writer stalled within 30 s");
            seen = sent.get();
            Thread.sleep(500);
        }
    }

    @Test
    void aClientThatNeverReadsItsRepliesHoldsUpNoOneElse() throws Exception {
        // Replies larger than any stream buffer, so the server is certain to be writing one when both
        // socket buffers fill.
        client.set("quarter-mebibyte", new byte[256 << 10]);
        for (InetSocketAddress to : List.of(tcp, tls)) {
            long timeouts = server.count(KvServer.Counter.WRITE_TIMEOUT_DISCONNECTIONS);
            try (Socket hostile = connect(to)) {
                AtomicLong sent = new AtomicLong();
                byte[] gets = "PING\r\nGET quarter-mebibyte\r\n".repeat(1000).getBytes(StandardCharsets.ISO_8859_1);
                Thread flood = sendInBackground(hostile, new byte[0], gets, Long.MAX_VALUE, sent);
                awaitStalled(sent);
                assertEveryTransportServes();
                flood.join(10_000);
                assertFalse(flood.isAlive(), "disconnected after the 2 s write timeout");
            }
            assertEquals(timeouts + 1, server.count(KvServer.Counter.WRITE_TIMEOUT_DISCONNECTIONS));
            assertEveryTransportServes();
        }
    }

    @Test
    void aCommandBeyondTheQueryBufferLimitIsRefusedAndItsClientDisconnected() throws Exception {
        // 24 arguments of 4 MiB: 96 MiB in one command, far beyond the 8 MiB limit.
        byte[] argument = ("$" + (4 << 20) + "\r\n" + "x".repeat(4 << 20) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        long refused = server.count(KvServer.Counter.CLIENT_QUERY_BUFFER_LIMIT_DISCONNECTIONS);
        for (InetSocketAddress to : List.of(tcp, tls)) {
            try (Socket attacker = connect(to)) {
                AtomicLong sent = new AtomicLong();
                sendInBackground(attacker, "*25\r\n$3\r\nSET\r\n".getBytes(StandardCharsets.ISO_8859_1), argument, 24, sent);
                Resp.Value reply = readReply(attacker);
                assertTrue(reply instanceof Resp.Value.Error e && e.text().contains("client-query-buffer-limit"), reply.toString());
                assertEquals(-1, attacker.getInputStream().read(), "disconnected");
                assertTrue(sent.get() < 24L * argument.length, "refused before the command was sent");
            }
        }
        assertEquals(refused + 2, server.count(KvServer.Counter.CLIENT_QUERY_BUFFER_LIMIT_DISCONNECTIONS));
        awaitClientBuffersEmpty();
        assertEveryTransportServes();
    }

    @Test
    void attackersTogetherHoldNoMoreThanTheClientBuffersBudget() throws Exception {
        // Each promises a 7 MiB value (under the 8 MiB per-command limit) and sends all of it but the last
        // byte; three of them fill 21 of the 24 MiB budget, so the fourth must be refused part-way.
        int length = 7 << 20;
        byte[] head = ("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + length + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] body = new byte[length - 1];
        long budget = 24L << 20;
        long refused = server.count(KvServer.Counter.CLIENT_BUFFERS_FULL_DISCONNECTIONS);
        List<Socket> attackers = new ArrayList<>();
        try {
            for (int i = 1; i <= 3; i++) {
                Socket attacker = connect(tcp);
                attackers.add(attacker);
                sendInBackground(attacker, head, body, 1, new AtomicLong()).join(10_000);
                long held = i * (long) (length - ClientMemory.UNCOUNTED);
                await(() -> clientBuffersBytes() >= held, "the server holds what attackers sent");
                assertEveryTransportServes();
            }
            Socket last = connect(tcp);
            attackers.add(last);
            sendInBackground(last, head, body, 1, new AtomicLong());
            Resp.Value reply = readReply(last);
            assertTrue(reply instanceof Resp.Value.Error e && e.text().startsWith("OOM"), reply.toString());
            assertEquals(-1, last.getInputStream().read(), "disconnected");
            assertTrue(clientBuffersBytes() <= budget, () -> clientBuffersBytes() + " bytes held");
            assertEveryTransportServes();
            try (Socket legitimate = connect(tcp)) {
                new Resp.Writer(legitimate.getOutputStream()).command(List.of("SET".getBytes(), "small".getBytes(), "value".getBytes()));
                assertEquals(new Resp.Value.Simple("OK"), readReply(legitimate), "small commands still run while the budget is full");
            }
        } finally {
            attackers.forEach(KvServerTest::closeQuietly);
        }
        assertEquals(refused + 1, server.count(KvServer.Counter.CLIENT_BUFFERS_FULL_DISCONNECTIONS));
        awaitClientBuffersEmpty();
        assertEveryTransportServes();
    }

    @Test
    void aReplyBeyondTheOutputBufferLimitDisconnectsItsClient() throws Exception {
        client.set("one-mebibyte", new byte[1 << 20]);
        long refused = server.count(KvServer.Counter.CLIENT_OUTPUT_BUFFER_LIMIT_DISCONNECTIONS);
        try (Socket s = connect(tcp)) {
            new Resp.Writer(s.getOutputStream()).command(List.of("GET".getBytes(), "one-mebibyte".getBytes()));
            assertEquals(1 << 20, ((Resp.Value.Bulk) readReply(s)).bytes().length, "a reply under the 4 MiB limit");
            new Resp.Writer(s.getOutputStream()).command(List.of("MGET".getBytes(), "one-mebibyte".getBytes(), "one-mebibyte".getBytes(),
                    "one-mebibyte".getBytes(), "one-mebibyte".getBytes(), "one-mebibyte".getBytes()));
            Resp.Value reply = readReply(s);
            assertTrue(reply instanceof Resp.Value.Error e && e.text().contains("client-output-buffer-limit"), reply.toString());
            assertEquals(-1, s.getInputStream().read(), "disconnected");
        }
        assertEquals(refused + 1, server.count(KvServer.Counter.CLIENT_OUTPUT_BUFFER_LIMIT_DISCONNECTIONS));
        assertTrue(client.command("MGET", "one-mebibyte", "one-mebibyte", "one-mebibyte", "one-mebibyte", "one-mebibyte") instanceof Resp.Value.Error,
                "over SDP, the request is refused");
        assertEquals(refused + 2, server.count(KvServer.Counter.CLIENT_OUTPUT_BUFFER_LIMIT_DISCONNECTIONS));
        awaitClientBuffersEmpty();
        assertEveryTransportServes();
    }

    private static long clientBuffersBytes() {
        return server.statistics().get("client_buffers_bytes");
    }

    /** Returns once the server holds no client buffer memory: every refused client's was given back. */
    private static void awaitClientBuffersEmpty() throws InterruptedException {
        await(() -> clientBuffersBytes() == 0, "client buffers given back");
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + " within 10 s");
            Thread.sleep(10);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // The test is over with it.
        }
    }
}
