package dev.sdp.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.DatagramIo;
import dev.sdp.SdpSocket;
import dev.sdp.Statistic;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.PemCredentials;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.TransportConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * One end of a two-process test ({@link KernelLossTest}, {@link TwoProcessTest}), run as its own
 * JVM, on loopback or inside a network namespace. {@code server} echoes requests until its
 * standard input closes; {@code client} makes RPCs of random sizes, checks every echo byte for
 * byte and prints one summary line.
 *
 * <p>Arguments: {@code server|client bindHost bindPort peerHost peerPort security} and for the
 * client also {@code count maxSize concurrency rpcTimeoutMillis}. {@code security} is
 * {@code keys=C2S_HEX,S2C_HEX} (installed keys), {@code tls=CERT_DIR} (a handshake with server
 * certificate verification) or {@code mtls=CERT_DIR} (the server also requires a client
 * certificate), with the files {@link DemoCredentials#generate} writes.
 */
public final class EchoPeerProcess {
    private EchoPeerProcess() {
    }

    public static void main(String[] args) throws Exception {
        boolean server = args[0].equals("server");
        InetSocketAddress local = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        InetSocketAddress peer = new InetSocketAddress(args[3], Integer.parseInt(args[4]));
        String[] security = args[5].split("=", 2);
        Duration rpcTimeout = Duration.ofMillis(server ? 30_000 : Long.parseLong(args[9]));
        TransportConfig config = TransportConfig.builder().resendInterval(Duration.ofMillis(5)).rpcTimeout(rpcTimeout).build();
        SdpSocket.Builder builder = SdpSocket.builder().bind(local).config(config);
        if (server) {
            builder.handler(r -> r.reply(r.payload()));
        }
        if (!security[0].equals("keys")) {
            builder.tls(handshake(server, Path.of(security[1]), security[0].equals("mtls")));
        }
        try (SdpSocket socket = builder.build()) {
            if (security[0].equals("keys")) {
                String[] secrets = security[1].split(",");
                byte[] c2s = HexFormat.of().parseHex(secrets[0]);
                byte[] s2c = HexFormat.of().parseHex(secrets[1]);
                CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
                socket.installKeys(peer, EpochKeys.initial(suite, server ? s2c : c2s), EpochKeys.initial(suite, server ? c2s : s2c));
            }
            if (server) {
                System.out.println("ready");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // Serve until the test closes our input.
                }
            } else {
                runClient(socket, peer, Integer.parseInt(args[6]), Integer.parseInt(args[7]), Integer.parseInt(args[8]));
            }
        }
    }

    /** The command that runs this class in a new JVM with the test class path, its socket over {@code io}. */
    static List<String> command(DatagramIo io, String role, String host, int port, String peerHost, int peerPort, List<String> rest) {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "--enable-native-access=ALL-UNNAMED",
                "-Dsdp.io=" + io.name().toLowerCase(Locale.ROOT), "-cp", System.getProperty("java.class.path"),
                EchoPeerProcess.class.getName(), role, host, Integer.toString(port), peerHost, Integer.toString(peerPort)));
        command.addAll(rest);
        return command;
    }

    /** Starts the server, waits until it is ready, runs the client to its end; returns the client's summary counts. */
    static Map<String, Long> runPair(ProcessBuilder server, ProcessBuilder client) throws Exception {
        Process serverProcess = server.redirectErrorStream(true).start();
        try {
            BufferedReader serverOut = new BufferedReader(new InputStreamReader(serverProcess.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", serverOut.readLine(), "server did not start");
            Process clientProcess = client.redirectErrorStream(true).start();
            String output = new String(clientProcess.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(clientProcess.waitFor(3, TimeUnit.MINUTES), "client did not finish");
            assertEquals(0, clientProcess.exitValue(), output);
            Matcher m = Pattern.compile("(\\w+)=(\\d+)").matcher(output);
            Map<String, Long> counts = new HashMap<>();
            while (m.find()) {
                counts.put(m.group(1), Long.parseLong(m.group(2)));
            }
            assertTrue(counts.containsKey("completed"), output);
            return counts;
        } finally {
            serverProcess.getOutputStream().close();
            if (!serverProcess.waitFor(10, TimeUnit.SECONDS)) {
                serverProcess.destroyForcibly();
            }
        }
    }

    private static HandshakeConfig handshake(boolean server, Path dir, boolean mutual) throws Exception {
        SSLContext context = server
                ? PemCredentials.sslContext(dir.resolve(DemoCredentials.SERVER_CERT), dir.resolve(DemoCredentials.SERVER_KEY), dir.resolve(DemoCredentials.CA_CERT))
                : mutual
                ? PemCredentials.sslContext(dir.resolve(DemoCredentials.CLIENT_CERT), dir.resolve(DemoCredentials.CLIENT_KEY), dir.resolve(DemoCredentials.CA_CERT))
                : PemCredentials.sslContext(null, null, dir.resolve(DemoCredentials.CA_CERT));
        return HandshakeConfig.builder(context).clientAuth(mutual ? HandshakeConfig.ClientAuth.NEED : HandshakeConfig.ClientAuth.NONE).build();
    }

    private static void runClient(SdpSocket socket, InetSocketAddress server, int count, int maxSize, int concurrency)
            throws InterruptedException {
        Random random = new Random(count);
        Semaphore window = new Semaphore(concurrency);
        List<CompletableFuture<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] request = new byte[random.nextInt(4) == 0 ? random.nextInt(maxSize + 1) : random.nextInt(2000)];
            random.nextBytes(request);
            window.acquire();
            results.add(socket.call(server, ByteBuffer.wrap(request.clone()))
                    .whenComplete((response, error) -> window.release())
                    .thenApply(response -> response.equals(ByteBuffer.wrap(request))));
        }
        int completed = 0;
        int wrong = 0;
        int timeouts = 0;
        int otherFailures = 0;
        for (CompletableFuture<Boolean> result : results) {
            try {
                if (result.get(5, TimeUnit.MINUTES)) {
                    completed++;
                } else {
                    wrong++;
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RpcException rpc && rpc.reason() == RpcException.Reason.TIMEOUT) {
                    timeouts++;
                } else {
                    otherFailures++;
                    if (otherFailures == 1) {
                        System.out.println("first failure: " + e.getCause());
                    }
                }
            } catch (java.util.concurrent.TimeoutException e) {
                otherFailures++;
            }
        }
        System.out.printf("completed=%d wrong=%d timeouts=%d other=%d retransmitted=%d resends=%d handshakes=%d packets_out=%d send_calls=%d"
                        + " not_sent=%d%n", completed, wrong, timeouts, otherFailures, socket.statistics().get(Statistic.DATA_RETRANSMITTED),
                socket.statistics().get(Statistic.RESENDS_SENT), socket.statistics().get(Statistic.HANDSHAKES_COMPLETED),
                socket.statistics().get(Statistic.PACKETS_OUT), socket.statistics().get(Statistic.SEND_CALLS), socket.statistics().get(Statistic.DATAGRAMS_NOT_SENT));
    }
}
