package dev.sdp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.transport.TransportConfig;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code sdp} command as users run it: each command in its own JVM, servers and clients as separate processes on loopback. */
@Timeout(120)
class CommandLineTest {
    @TempDir
    static Path dir;
    static Path certs;

    private record Run(int exit, String out, String err, double seconds) {
        /** One line on standard error, no stack trace: what a user sees when something is wrong. */
        void assertOneLineError() {
            assertFalse(err.isBlank(), "an error is printed");
            assertEquals(1, err.strip().lines().count(), () -> "one line of error, got:\n" + err);
            assertFalse(err.contains("Exception") || err.contains("\tat "), () -> "no stack trace or exception names:\n" + err);
        }
    }

    private static List<String> command(String... args) {
        return command(List.of(), args);
    }

    /** The {@code sdp} command in a JVM of its own, with {@code jvmOptions} besides native access. */
    private static List<String> command(List<String> jvmOptions, String... args) {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static Run run(String... args) throws Exception {
        return run(List.of(), args);
    }

    private static Run run(List<String> jvmOptions, String... args) throws Exception {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command(jvmOptions, args)).start();
        var err = p.getErrorStream();
        byte[][] errBytes = new byte[1][];
        Thread errReader = Thread.ofPlatform().start(() -> {
            try {
                errBytes[0] = err.readAllBytes();
            } catch (IOException e) {
                errBytes[0] = new byte[0];
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(100, TimeUnit.SECONDS), "finished: " + String.join(" ", args));
        errReader.join();
        return new Run(p.exitValue(), out, new String(errBytes[0], StandardCharsets.UTF_8), (System.nanoTime() - start) / 1e9);
    }

    /** Runs a command that must fail with {@code exit} and one line of error. */
    private static Run failing(int exit, String... args) throws Exception {
        Run r = run(args);
        assertEquals(exit, r.exit(), () -> String.join(" ", args) + ": " + r.err());
        r.assertOneLineError();
        return r;
    }

    /** A server process, ready once it has printed its "listening on" line. */
    private static final class Server implements AutoCloseable {
        final Process process;
        final String address;
        final BufferedReader out;

        Server(String... args) throws Exception {
            this("127.0.0.1:0", args);
        }

        private Server(String listen, String[] args) throws Exception {
            List<String> all = new ArrayList<>(List.of("server", "--listen", listen));
            all.addAll(List.of(args));
            process = new ProcessBuilder(command(all.toArray(String[]::new))).redirectErrorStream(true).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            Matcher m = Pattern.compile("listening on (\\S+)").matcher(line == null ? "" : line);
            assertTrue(m.matches(), "first line announces the address: " + line);
            address = m.group(1);
        }

        /** A server bound to {@code listen} instead of 127.0.0.1. */
        static Server at(String listen, String... args) throws Exception {
            return new Server(listen, args);
        }

        String port() {
            return address.substring(address.lastIndexOf(':') + 1);
        }

        /** Sends SIGINT and returns what the server printed on its way out. */
        String interrupt() throws Exception {
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor());
            StringBuilder rest = new StringBuilder();
            String line;
            while ((line = out.readLine()) != null) {
                rest.append(line).append('\n');
            }
            assertTrue(process.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, process.exitValue(), rest::toString);
            return rest.toString();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @BeforeAll
    static void keygen() throws Exception {
        certs = dir.resolve("certs");
        Run r = run("keygen", "--out", certs.toString());
        assertEquals(0, r.exit(), r.err());
        for (String f : List.of("ca.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem")) {
            assertTrue(Files.size(certs.resolve(f)) > 100, f);
        }
        assertTrue(Files.readString(certs.resolve("server-key.pem")).contains("BEGIN PRIVATE KEY"));
    }

    private static long field(String summary, String name) {
        Matcher m = Pattern.compile(name + "=(\\d+)").matcher(summary);
        assertTrue(m.find(), name + " in " + summary);
        return Long.parseLong(m.group(1));
    }

    @Test
    void serverAndCallOverTlsInSeparateProcessesThenSigintPrintsStatistics() throws Exception {
        try (Server server = new Server("--cert-dir", certs.toString())) {
            Run call = run("call", "--to", "localhost:" + server.port(), "--size", "3000", "--count", "300", "--concurrency", "4", "--cert-dir", certs.toString());
            assertEquals(0, call.exit(), call.err());
            assertEquals(300, field(call.out(), "ok"));
            assertEquals(0, field(call.out(), "failures"));
            assertTrue(field(call.out(), "p99_us") >= field(call.out(), "p50_us"));
            String exit = server.interrupt();
            assertTrue(exit.contains("requests=300"), exit);
            assertTrue(exit.contains("handshakes=1"), exit);
        }
    }

    @Test
    void mutualTlsAdmitsTheClientWithACertificateAndRefusesOneWithout() throws Exception {
        Path anonymous = dir.resolve("anonymous");
        Files.createDirectories(anonymous);
        Files.copy(certs.resolve("ca.pem"), anonymous.resolve("ca.pem"));
        try (Server server = new Server("--cert-dir", certs.toString(), "--require-client-cert")) {
            Run ok = run("call", "--to", server.address, "--size", "100", "--count", "20", "--cert-dir", certs.toString());
            assertEquals(0, ok.exit(), ok.err());
            Run refused = failing(1, "call", "--to", server.address, "--size", "100", "--count", "20", "--cert-dir", anonymous.toString());
            assertTrue(refused.err().contains("TLS handshake with " + server.address), refused.err());
            assertEquals(1, occurrences(refused.err(), "TLS handshake"), () -> "said once: " + refused.err());
        }
    }

    @Test
    void plaintextServerAndCall() throws Exception {
        try (Server server = new Server("--plaintext")) {
            Run call = run("call", "--to", server.address, "--size", "70000", "--count", "50", "--plaintext");
            assertEquals(0, call.exit(), call.err());
            assertEquals(50, field(call.out(), "ok"));
        }
    }

    @Test
    void aServerWhoseCertificateComesFromAnotherCaIsRefused() throws Exception {
        Path other = dir.resolve("other");
        assertEquals(0, run("keygen", "--out", other.toString()).exit());
        try (Server server = new Server("--cert-dir", other.toString())) {
            Run call = failing(1, "call", "--to", server.address, "--size", "10", "--count", "5", "--cert-dir", certs.toString());
            assertTrue(call.err().contains("PKIX") || call.err().contains("certification path"), call.err());
        }
    }

    @Test
    void wrongFlagsAndMissingCredentialsGiveOneLineAndStatusTwo() throws Exception {
        for (String[] args : List.of(
                new String[] {"call", "--to", "127.0.0.1:1", "--size", "10"},
                new String[] {"call", "--to", "nonsense", "--size", "10", "--count", "1", "--plaintext"},
                new String[] {"server", "--listen", "127.0.0.1:0", "--bogus"},
                new String[] {"server", "--listen", "127.0.0.1:0"},
                new String[] {"server", "--listen", "127.0.0.1:0", "--plaintext", "--cert-dir", certs.toString()},
                new String[] {"server", "--listen", "127.0.0.1:0", "--cert-dir", dir.resolve("missing").toString()},
                new String[] {"bench", "rtt", "--transports", "carrier-pigeon"},
                new String[] {"bench", "rpc", "--transports", "sdp,carrier-pigeon"},
                new String[] {"bench", "rpc", "--threads", "0"},
                new String[] {"frobnicate"})) {
            Run r = failing(2, args);
        }
        assertEquals("sdp call: --count must be at least 1, not -5",
                run("call", "--to", "127.0.0.1:1", "--size", "10", "--count", "-5", "--plaintext").err().strip());
        assertEquals("sdp bench holb: --big must be at least 1, not 0", run("bench", "holb", "--big", "0").err().strip());
        assertEquals("sdp server: --mtu must be within 310..65535, not 100",
                run("server", "--listen", "127.0.0.1:0", "--plaintext", "--mtu", "100").err().strip());
    }

    @Test
    void anUnreachableServerIsReportedAfterOneTimeoutAndCallsNotStartedAreNotFailures() throws Exception {
        Run r = failing(1, "call", "--to", "127.0.0.1:9", "--size", "10", "--count", "3", "--plaintext", "--timeout", "4");
        assertTrue(r.err().contains("1 of 3 calls failed and 2 were not started; first failure: no response from 127.0.0.1:9"), r.err());
        assertEquals(1, field(r.out(), "failures"), r.out());
        assertEquals(2, field(r.out(), "not_started"), r.out());
        assertFalse(r.out().contains("p50_us") || r.out().contains("calls_per_s"), () -> "no latency figures without a call that succeeded: " + r.out());
        assertTrue(r.seconds() < 7.5, "gave up after one 4 s timeout, not two: " + r.seconds() + " s");
    }

    @Test
    void anUnreachableTlsServerFailsWithinTheCallTimeoutAndSaysSoOnce() throws Exception {
        Run r = failing(1, "call", "--to", "127.0.0.1:9", "--size", "10", "--count", "3", "--cert-dir", certs.toString(), "--timeout", "1");
        assertTrue(r.err().contains("TLS handshake with 127.0.0.1:9 did not complete within 1000 ms"), r.err());
        assertEquals(1, occurrences(r.err(), "TLS handshake"), () -> "said once: " + r.err());
        assertTrue(r.seconds() < 15, "gave up after the 1 s handshake timeout, not 3 x 5 s");
    }

    @Test
    void addressesPrintWithoutASlashAndIpv6InShortBrackets() throws Exception {
        Run r = failing(1, "call", "--to", "[::1]:9", "--size", "10", "--count", "1", "--plaintext", "--timeout", "1");
        assertTrue(r.err().contains("from [::1]:9 "), r.err());
        try (Server server = Server.at("[::1]:0", "--plaintext")) {
            assertTrue(server.address.matches("\\[::1]:\\d+"), server.address);
        }
    }

    @Test
    void listenWithoutAHostBindsEveryInterface() throws Exception {
        try (Server server = Server.at(":0", "--plaintext")) {
            assertTrue(server.address.matches("(\\[::]|0\\.0\\.0\\.0):\\d+"), server.address);
            for (String host : List.of("127.0.0.1", "[::1]")) {
                Run call = run("call", "--to", host + ":" + server.port(), "--size", "2000", "--count", "5", "--plaintext");
                assertEquals(0, call.exit(), call.err());
                assertEquals(5, field(call.out(), "ok"));
            }
        }
    }

    @Test
    void aPortInUseIsNamedAndNothingIsAnnouncedBeforeEveryListenerIsBound() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Run server = failing(1, "server", "--listen", address, "--plaintext");
            assertEquals("sdp server: cannot bind " + address + ": Address already in use", server.err().strip());
            assertEquals("", server.out());
            Run kv = failing(1, "kv-server", "--tcp", "0", "--sdp", Integer.toString(taken.getLocalPort()), "--sdp-plaintext");
            assertEquals("sdp kv-server: cannot bind " + address + ": Address already in use", kv.err().strip());
            assertEquals("", kv.out(), "no 'listening tcp' line before the SDP port failed");
        }
    }

    @Test
    void aDamagedCertificateFileIsNamed() throws Exception {
        Path damaged = dir.resolve("damaged");
        Files.createDirectories(damaged);
        for (String f : List.of("server.pem", "server-key.pem", "client.pem", "client-key.pem")) {
            Files.copy(certs.resolve(f), damaged.resolve(f));
        }
        Files.writeString(damaged.resolve("ca.pem"), "not a certificate\n");
        for (String[] args : List.of(
                new String[] {"call", "--to", "127.0.0.1:9", "--size", "1", "--count", "1", "--cert-dir", damaged.toString()},
                new String[] {"server", "--listen", "127.0.0.1:0", "--cert-dir", damaged.toString()})) {
            Run r = run(args);
            assertTrue(r.exit() != 0);
            r.assertOneLineError();
            assertTrue(r.err().contains(damaged.resolve("ca.pem").toString()), r.err());
            assertEquals(1, occurrences(r.err(), "ca.pem"), () -> "said once: " + r.err());
        }
    }

    @Test
    void aMessageSizeOverTheTransportsLimitIsRefusedBeforeAnyWork() throws Exception {
        for (String size : List.of("1073741824", "2147483647", "67108865")) {
            Run r = failing(2, "call", "--to", "127.0.0.1:9", "--size", size, "--count", "1", "--plaintext");
            assertEquals("sdp call: --size " + size + " is over the largest message SDP carries, 67108864 bytes (64 MiB)", r.err().strip());
            assertTrue(r.seconds() < 10, "refused before any handshake or copy: " + r.seconds() + " s");
        }
        Run rtt = run("bench", "rtt", "--sizes", "64,100000000");
        assertEquals(2, rtt.exit(), rtt.err());
        assertTrue(rtt.err().contains("--sizes 100000000 is over the largest message SDP carries"), rtt.err());
    }

    @Test
    void ctrlCPrintsTheSummarySoFar() throws Exception {
        try (Server server = new Server("--plaintext", "--stats-interval", "100ms")) {
            Process call = new ProcessBuilder(command("call", "--to", server.address, "--size", "100", "--count", "100000000", "--plaintext"))
                    .start();
            try {
                // Interrupt once calls are being served (the server's periodic report says so), not after a fixed wait.
                long deadline = System.nanoTime() + 30_000_000_000L;
                String line;
                do {
                    line = server.out.readLine();
                } while (line != null && !line.contains("requests_delivered=") && System.nanoTime() < deadline);
                assertTrue(line != null && line.contains("requests_delivered="), "the server served calls: " + line);
                assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(call.pid())).start().waitFor());
                assertTrue(call.waitFor(20, TimeUnit.SECONDS), "exits on SIGINT");
                String out = new String(call.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(out.startsWith("calls=100000000 ok=") && out.strip().endsWith("(interrupted)"), out);
                assertTrue(field(out, "ok") > 0 && field(out, "not_started") > 0, out);
                assertEquals(0, field(out, "failures"), out);
                assertTrue(field(out, "p99_us") >= field(out, "p50_us"), out);
            } finally {
                call.destroyForcibly();
            }
        }
    }

    @Test
    void datagramsFollowTheBoundAddressFamilyAndMtu() throws Exception {
        for (String mtu : List.of("1500", "1400")) {
            try (Server server = Server.at("[::1]:0", "--plaintext", "--mtu", mtu);
                 Relay relay = new Relay(new InetSocketAddress("::1", Integer.parseInt(server.port())))) {
                Run call = run("call", "--to", relay.address(), "--size", "100000", "--count", "3", "--plaintext", "--mtu", mtu);
                assertEquals(0, call.exit(), call.err());
                // IPv6 (40 bytes) and UDP (8) headers in the MTU: 1452 bytes of UDP payload at 1500.
                int largest = Integer.parseInt(mtu) - 48;
                assertEquals(largest, relay.largestToServer.get(), "the client's datagrams at MTU " + mtu);
                assertEquals(largest, relay.largestToClient.get(), "the server's datagrams at MTU " + mtu);
            }
        }
    }

    /** A UDP relay on ::1 between one client and a server that records the largest datagram each way. */
    private static final class Relay implements AutoCloseable {
        final DatagramChannel facingClient = DatagramChannel.open().bind(new InetSocketAddress("::1", 0));
        final DatagramChannel facingServer = DatagramChannel.open().bind(new InetSocketAddress("::1", 0));
        final AtomicInteger largestToServer = new AtomicInteger();
        final AtomicInteger largestToClient = new AtomicInteger();
        final AtomicReference<SocketAddress> client = new AtomicReference<>();

        Relay(InetSocketAddress server) throws IOException {
            Thread.ofPlatform().daemon().start(() -> forward(facingClient, facingServer, () -> server, largestToServer, true));
            Thread.ofPlatform().daemon().start(() -> forward(facingServer, facingClient, client::get, largestToClient, false));
        }

        String address() throws IOException {
            return "[::1]:" + ((InetSocketAddress) facingClient.getLocalAddress()).getPort();
        }

        private void forward(DatagramChannel from, DatagramChannel to, Supplier<SocketAddress> destination, AtomicInteger largest,
                             boolean fromClient) {
            ByteBuffer datagram = ByteBuffer.allocate(65536);
            try {
                while (true) {
                    SocketAddress sender = from.receive(datagram.clear());
                    if (fromClient) {
                        client.set(sender);
                    }
                    largest.accumulateAndGet(datagram.flip().remaining(), Math::max);
                    if (destination.get() != null) {
                        to.send(datagram, destination.get());
                    }
                }
            } catch (IOException closed) {
                // The relay was closed.
            }
        }

        @Override
        public void close() throws IOException {
            facingClient.close();
            facingServer.close();
        }
    }

    @Test
    void noCommandPrintsUsageAndFails() throws Exception {
        for (String[] args : List.of(new String[0], new String[] {"bench"})) {
            Run r = run(args);
            assertEquals(2, r.exit(), r.err());
            assertTrue(r.err().startsWith("Usage: sdp"), r.err());
            assertEquals("", r.out());
        }
    }

    @Test
    void keygenRefusesNamesNoCertificateCanCover() throws Exception {
        for (String name : List.of("bad name!", "-leading.example", "1.2.3", "300.1.1.1", "a..b", "::1::2", "under_score.example")) {
            Run r = failing(2, "keygen", "--out", dir.resolve("refused").toString(), "--name", name);
            assertTrue(r.err().contains("--name '" + name + "' is not"), r.err());
        }
        assertFalse(Files.exists(dir.resolve("refused")), "nothing written for a refused name");
        Run ok = run("keygen", "--out", dir.resolve("named").toString(), "--name", "*.example.com,db-1.internal,10.0.0.1,fd00::2,localhost");
        assertEquals(0, ok.exit(), ok.err());
    }

    @Test
    void theReadmeTableListsEveryOptionOfEveryCommand() throws Exception {
        List<String> rows = Files.readAllLines(Path.of(System.getProperty("user.dir")).resolve("../README.md")).stream()
                .filter(line -> line.startsWith("| `sdp ")).toList();
        List<String> missing = new ArrayList<>();
        checkListed(Main.commandLine(), rows, missing);
        assertEquals(List.of(), missing, "README.md's command table lacks these");
    }

    private static void checkListed(CommandLine command, List<String> rows, List<String> missing) {
        if (command.getSubcommands().isEmpty()) {
            String name = command.getCommandSpec().qualifiedName();
            String row = rows.stream().filter(r -> r.startsWith("| `" + name + " ") || r.startsWith("| `" + name + "`")).findFirst().orElse(null);
            if (row == null) {
                missing.add(name);
                return;
            }
            for (CommandLine.Model.OptionSpec option : command.getCommandSpec().options()) {
                String flag = option.longestName();
                if (!List.of("--help", "--version").contains(flag) && !Pattern.compile("(?<![\\w-])" + flag + "(?![\\w-])").matcher(row).find()) {
                    missing.add(name + " " + flag);
                }
            }
        }
        command.getSubcommands().values().forEach(sub -> checkListed(sub, rows, missing));
    }

    @Test
    void theMtuTheHelpNamesIsTheTransportsDefault() {
        assertEquals(TransportConfig.defaults().mtu(), TransportOptions.DEFAULT_MTU);
    }

    private static int occurrences(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }

    @Test
    void benchRttWritesWellFormedCsvAndAPng() throws Exception {
        Path chart = dir.resolve("rtt.png");
        Run r = run("bench", "rtt", "--sizes", "64,1024", "--iterations", "40", "--rounds", "1", "--warmup", "0", "--format", "csv",
                "--chart", chart.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertTrue(lines.getFirst().startsWith("transport,size,p50_us,p99_us"), lines.getFirst());
        assertEquals(1 + 4 * 2, lines.size(), r.out());
        assertTrue(r.err().contains("[bench] SDP: MTU 1500 (1472-byte datagrams), 64 KiB unscheduled, 64 KiB grant window, the defaults of"
                + " sdp server and sdp call"), r.err());
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            assertTrue(List.of("sdp", "sdp-plain", "tls-tcp", "tcp").contains(f[0]), line);
            assertTrue(f[1].equals("64") || f[1].equals("1024"), line);
            assertTrue(Double.parseDouble(f[3]) >= Double.parseDouble(f[2]) && Double.parseDouble(f[2]) > 0, line);
        }
        BufferedImage image = ImageIO.read(chart.toFile());
        assertTrue(image != null && image.getWidth() > 500 && image.getHeight() > 300, "a PNG chart");
        Run json = run("bench", "rtt", "--sizes", "64", "--transports", "sdp,tcp", "--iterations", "20", "--rounds", "1", "--warmup", "0",
                "--format", "json", "--mtu", "9000");
        assertEquals(0, json.exit(), json.err());
        assertTrue(json.err().contains("[bench] SDP: MTU 9000 (8972-byte datagrams), 64 KiB unscheduled, 64 KiB grant window; the defaults"
                + " of sdp server and sdp call differ: MTU 1500"), json.err());
        assertTrue(json.out().strip().startsWith("[") && json.out().contains("\"transport\": \"sdp\""), json.out());
    }

    /** The rows of a benchmark's CSV output, split into fields, after checking that it succeeded and its header is {@code header}. */
    private static List<String[]> csvRows(Run r, String header) {
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(header, lines.getFirst());
        return lines.subList(1, lines.size()).stream().map(l -> l.split(",")).toList();
    }

    @Test
    void benchRttMeasuresNettyWithOpenSsl() throws Exception {
        Run r = run("bench", "rtt", "--transports", "tls-tcp-openssl", "--sizes", "64,1024", "--iterations", "40", "--rounds", "1",
                "--warmup", "0", "--format", "csv");
        List<String[]> rows = csvRows(r, "transport,size,p50_us,p99_us,cpu_us_per_rpc,samples");
        assertEquals(List.of("tls-tcp-openssl 64", "tls-tcp-openssl 1024"), rows.stream().map(f -> f[0] + " " + f[1]).toList(), r.out());
        assertFalse(r.err().contains("SLF4J") || r.err().contains("INFO"), () -> "no logging noise from Netty:\n" + r.err());
    }

    @Test
    void tlsTcpOpensslRefusesToRunWithoutOpenSsl() throws Exception {
        for (String[] args : List.of(
                new String[] {"bench", "rtt", "--transports", "tls-tcp-openssl", "--sizes", "64", "--iterations", "10", "--warmup", "0"},
                new String[] {"bench", "rpc", "--transports", "tcp,tls-tcp-openssl", "--sizes", "64", "--duration", "1", "--warmup", "0"})) {
            Run r = run(List.of("-Dio.netty.handler.ssl.noOpenSsl=true"), args);
            assertEquals(1, r.exit(), () -> String.join(" ", args) + ": " + r.err());
            String error = r.err().lines().filter(l -> !l.startsWith("[")).collect(java.util.stream.Collectors.joining("\n"));
            assertTrue(error.matches("sdp bench (rtt|rpc): tls-tcp-openssl: OpenSSL \\(netty-tcnative BoringSSL\\) is not available: .*"), error);
            assertEquals("", r.out(), "no figures without the baseline");
        }
    }

    /** The server process {@code sdp bench rpc} announced on standard error. */
    private static long rpcServerPid(String err) {
        Matcher m = Pattern.compile("\\[rpc] server process (\\d+): ready").matcher(err);
        assertTrue(m.find(), err);
        return Long.parseLong(m.group(1));
    }

    @Test
    void benchRpcMeasuresEveryTransportAgainstAServerProcessAndStopsIt() throws Exception {
        Path chart = dir.resolve("rpc.png");
        Run r = run("bench", "rpc", "--duration", "1", "--warmup", "1", "--rounds", "1", "--threads", "2", "--sizes", "64", "--format", "csv",
                "--chart", chart.toString());
        List<String[]> rows = csvRows(r, "transport,size,threads,rpcs_per_s,p50_us,p99_us,cpu_us_per_rpc");
        assertEquals(List.of("sdp", "sdp-plain", "tls-tcp", "tls-tcp-openssl", "tcp"), rows.stream().map(f -> f[0]).toList(), r.out());
        for (String[] f : rows) {
            String line = String.join(",", f);
            assertEquals(7, f.length, line);
            assertEquals("64", f[1], line);
            assertEquals("2", f[2], line);
            assertTrue(Double.parseDouble(f[3]) > 0, "RPCs completed: " + line);
            assertTrue(Double.parseDouble(f[4]) > 0 && Double.parseDouble(f[5]) >= Double.parseDouble(f[4]), line);
            assertTrue(Double.parseDouble(f[6]) > 0, "CPU counted: " + line);
        }
        assertTrue(r.err().contains("[rpc] tls-tcp-openssl: TLSv1.3 TLS_AES_128_GCM_SHA256 (BoringSSL"), r.err());
        long server = rpcServerPid(r.err());
        assertFalse(ProcessHandle.of(server).map(ProcessHandle::isAlive).orElse(false), "the server process " + server + " has exited");
        BufferedImage image = ImageIO.read(chart.toFile());
        assertTrue(image != null && image.getWidth() > 500, "a PNG chart");
    }

    @Test
    void aBenchRpcKilledMidRunLeavesNoServerBehind() throws Exception {
        Process bench = new ProcessBuilder(command("bench", "rpc", "--transports", "tcp", "--duration", "60", "--warmup", "0")).start();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(bench.getErrorStream(), StandardCharsets.UTF_8));
            StringBuilder said = new StringBuilder();
            for (String line; !said.toString().contains(": ready") && (line = err.readLine()) != null; ) {
                said.append(line).append('\n');
            }
            ProcessHandle server = ProcessHandle.of(rpcServerPid(said.toString())).orElseThrow();
            bench.destroyForcibly();
            assertTrue(bench.waitFor(20, TimeUnit.SECONDS));
            assertTrue(server.onExit().completeOnTimeout(null, 20, TimeUnit.SECONDS).get() != null,
                    "the server process exits once its client is gone");
        } finally {
            bench.destroyForcibly();
        }
    }

    @Test
    void benchHolbWritesOneCsvRowPerTransport() throws Exception {
        Run r = run("bench", "holb", "--big", "1048576", "--iterations", "100", "--warmup", "100", "--duration", "0.5",
                "--transports", "sdp,tls-tcp", "--format", "csv");
        List<String[]> rows = csvRows(r, "transport,big_bytes,alone_p50_us,alone_p99_us,loaded_p50_us,loaded_p99_us,big_mb_per_s");
        assertEquals(List.of("sdp", "tls-tcp"), rows.stream().map(f -> f[0]).toList(), r.out());
        for (String[] f : rows) {
            String line = String.join(",", f);
            assertEquals("1048576", f[1], line);
            assertTrue(Double.parseDouble(f[3]) >= Double.parseDouble(f[2]) && Double.parseDouble(f[5]) >= Double.parseDouble(f[4]), line);
            assertTrue(Double.parseDouble(f[6]) > 0, "large RPCs completed while measuring: " + line);
        }
    }

    @Test
    void kvServerServesRedisCliOverTlsAndSdpKvOverSdpFromOneDatabase() throws Exception {
        Process server = new ProcessBuilder(command("kv-server", "--tcp", "0", "--tls", "0", "--sdp", "0", "--cert-dir", certs.toString(),
                "--client-query-buffer-limit", "1048576")).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            java.util.Map<String, String> listening = new java.util.HashMap<>();
            for (int i = 0; i < 3; i++) {
                Matcher m = Pattern.compile("listening (\\w+) on (\\S+)").matcher(String.valueOf(out.readLine()));
                assertTrue(m.matches());
                listening.put(m.group(1), m.group(2));
            }
            String sdp = listening.get("sdp");
            String certDir = certs.toString();
            Run set = run("kv", "--to", sdp, "--cert-dir", certDir, "SET", "greeting", "hello world");
            assertEquals("OK", set.out().strip(), set.err());
            assertEquals("\"hello world\"", run("kv", "--to", sdp, "--cert-dir", certDir, "GET", "greeting").out().strip());
            assertEquals("(nil)", run("kv", "--to", sdp, "--cert-dir", certDir, "GET", "missing").out().strip());
            assertEquals("(integer) 2", run("kv", "--to", sdp, "--cert-dir", certDir, "HSET", "h", "a", "1", "b", "2").out().strip());
            assertEquals("1) \"a\"\n2) \"1\"\n3) \"b\"\n4) \"2\"", run("kv", "--to", sdp, "--cert-dir", certDir, "HGETALL", "h").out().strip());
            Run error = run("kv", "--to", sdp, "--cert-dir", certDir, "INCR", "greeting");
            assertEquals(1, error.exit());
            assertEquals("(error) ERR value is not an integer or out of range", error.out().strip());
            String tls = listening.get("tls");
            Process cli = new ProcessBuilder("redis-cli", "--tls", "--cacert", certs.resolve("ca.pem").toString(), "-p",
                    tls.substring(tls.lastIndexOf(':') + 1), "GET", "greeting").start();
            assertEquals("hello world", new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip(),
                    "redis-cli --tls reads what sdp kv wrote over SDP");
            String tcp = listening.get("tcp");
            Process tooLarge = new ProcessBuilder("redis-cli", "-p", tcp.substring(tcp.lastIndexOf(':') + 1), "-x", "SET", "large").start();
            try (var value = tooLarge.getOutputStream()) {
                value.write(new byte[2 << 20]);
            } catch (java.io.IOException e) {
                // redis-cli may stop reading once the server has refused the command.
            }
            assertTrue(new String(tooLarge.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("client-query-buffer-limit"),
                    "a value over --client-query-buffer-limit is refused");
            Run unreachable = failing(1, "kv", "--to", "127.0.0.1:9", "--plaintext", "PING");
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(server.pid())).start().waitFor());
            String rest = new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(server.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, server.exitValue(), rest);
            assertTrue(rest.contains("stopped: commands=") && rest.contains("client_query_buffer_limit_disconnections=1"), rest);
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void benchYcsbRunsRealYcsbOverEveryTransportAndWritesCsv() throws Exception {
        Run r = run("bench", "ycsb", "--workload", "a", "--value-size", "64", "--records", "200", "--operations", "2000", "--threads", "2",
                "--no-redis", "--format", "csv");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertTrue(lines.getFirst().startsWith("workload,value_size,transport,ops_per_s"), lines.getFirst());
        assertEquals(List.of("sdp", "tls-tcp", "tcp"), lines.subList(1, lines.size()).stream().map(l -> l.split(",")[2]).toList());
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            assertEquals("a", f[0]);
            assertEquals("64", f[1]);
            assertTrue(Double.parseDouble(f[3]) > 0 && Double.parseDouble(f[5]) >= Double.parseDouble(f[4]), line);
        }
    }

    @Test
    void demoRunsEndToEndWithoutSetup() throws Exception {
        Path out = dir.resolve("demo");
        Run r = run("demo", "--out", out.toString(), "--iterations", "100");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("TLSv1.3"), r.out());
        assertTrue(r.out().contains("every echo identical"), r.out());
        assertTrue(r.out().contains("sdp/tls-tcp"), r.out());
        assertTrue(ImageIO.read(out.resolve("rtt.png").toFile()) != null, "chart written");
    }
}
