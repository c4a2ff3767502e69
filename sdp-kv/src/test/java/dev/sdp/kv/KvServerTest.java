package dev.sdp.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.SdpSocket;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.PemCredentials;
import dev.sdp.transport.TransportConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * and the SDP client; plus malformed and abandoned input over TCP.
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

    @BeforeAll
    static void start() throws Exception {
        certs = DemoCredentials.generate(dir.resolve("certs"), List.of());
        SSLContext serverTls = PemCredentials.sslContext(certs.resolve("server.pem"), certs.resolve("server-key.pem"), certs.resolve("ca.pem"));
        server = new KvServer(new KvStore(256L << 20));
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        tcp = server.listenTcp(loopback, null);
        tls = server.listenTcp(loopback, serverTls);
        sdp = server.listenSdp(loopback, HandshakeConfig.builder(serverTls).build(), TransportConfig.defaults());
        sdpSocket = SdpSocket.builder().bind(loopback)
                .tls(HandshakeConfig.builder(PemCredentials.sslContext(null, null, certs.resolve("ca.pem"))).build()).build();
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
        long errorsBefore = server.protocolErrors();
        String plain = redis("redis-benchmark", false, tcp.getPort(), "-t", "set,get,incr,hset", "-n", "5000", "-c", "8", "-q");
        for (String test : List.of("SET", "GET", "INCR", "HSET")) {
            assertTrue(plain.contains(test + ": ") && plain.contains("requests per second"), plain);
        }
        String pipelined = redis("redis-benchmark", false, tcp.getPort(), "-t", "set,get", "-n", "20000", "-P", "16", "-q");
        assertTrue(pipelined.contains("GET: "), pipelined);
        String overTls = redis("redis-benchmark", true, tls.getPort(), "-t", "set,get", "-n", "2000", "-c", "4", "-q");
        assertTrue(overTls.contains("GET: "), overTls);
        assertEquals(errorsBefore, server.protocolErrors(), "redis-benchmark sent nothing we could not parse");
    }

    @Test
    void jedisPlainAndSsl() throws Exception {
        try (Jedis plain = new Jedis("127.0.0.1", tcp.getPort())) {
            assertEquals("OK", plain.set("jedis", "1"));
            assertEquals(5, plain.incrBy("jedis", 4));
            assertEquals(2, plain.hset("jedis-hash", Map.of("x", "1", "y", "2")));
        }
        SSLContext trust = PemCredentials.sslContext(null, null, certs.resolve("ca.pem"));
        try (Jedis ssl = new Jedis(new redis.clients.jedis.HostAndPort("localhost", tls.getPort()),
                DefaultJedisClientConfig.builder().ssl(true).sslSocketFactory(trust.getSocketFactory()).build())) {
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
        long before = server.protocolErrors();
        for (String bad : List.of("*1\r\n$abc\r\n", "*2\r\n$3\r\nGET\r\n:5\r\n", "*1\r\n$999999999999\r\n", "*2147483647\r\n")) {
            try (Socket s = new Socket(tcp.getAddress(), tcp.getPort())) {
                s.getOutputStream().write(bad.getBytes(StandardCharsets.ISO_8859_1));
                String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(reply.startsWith("-ERR Protocol error"), bad + " -> " + reply);
            }
        }
        assertEquals(before + 4, server.protocolErrors());
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
}
