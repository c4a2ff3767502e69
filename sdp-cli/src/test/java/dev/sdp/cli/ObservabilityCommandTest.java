package dev.sdp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What an operator sees of a running server and an unmodified client: periodic statistics, and JFR events. */
@Timeout(120)
class ObservabilityCommandTest {
    private static Process sdp(List<String> jvmOptions, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static String listeningAddress(BufferedReader out) throws Exception {
        String line = out.readLine();
        Matcher m = Pattern.compile("listening on (\\S+)").matcher(line == null ? "" : line);
        assertTrue(m.matches(), "first line announces the address: " + line);
        return m.group(1);
    }

    private static String finish(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void statsIntervalPrintsWhatChangedAsDeltas() throws Exception {
        Process server = sdp(List.of(), "server", "--listen", "127.0.0.1:0", "--plaintext", "--stats-interval", "200ms");
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String address = listeningAddress(out);
            finish(sdp(List.of(), "call", "--to", address, "--plaintext", "--size", "100", "--count", "50"));
            long delivered = 0;
            Pattern requests = Pattern.compile("^stats \\+200ms: .*\\brequests_delivered=(\\d+)");
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (delivered < 50 && System.nanoTime() < deadline) {
                String line = out.readLine();
                if (line == null) {
                    break;
                }
                Matcher m = requests.matcher(line);
                if (m.find()) {
                    delivered += Long.parseLong(m.group(1));
                }
                assertTrue(!line.startsWith("stats") || !line.contains("packets_in=0"), "only counters that changed: " + line);
            }
            assertEquals(50, delivered, "the deltas add up to the requests served");
        } finally {
            server.destroyForcibly();
        }
    }

    /** An unmodified {@code sdp call}, started with -XX:StartFlightRecording, records the dev.sdp events. */
    @Test
    void aFlightRecordingOfAnUnmodifiedCallHasItsRpcsAndHandshake(@TempDir Path dir) throws Exception {
        Path certs = dir.resolve("certs");
        finish(sdp(List.of(), "keygen", "--out", certs.toString()));
        Process server = sdp(List.of(), "server", "--listen", "127.0.0.1:0", "--cert-dir", certs.toString());
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String address = listeningAddress(out);
            Path recording = dir.resolve("call.jfr");
            finish(sdp(List.of("-XX:StartFlightRecording=filename=" + recording), "call", "--to", address, "--cert-dir", certs.toString(),
                    "--size", "1000", "--count", "20"));
            List<RecordedEvent> events = RecordingFile.readAllEvents(recording);
            long rpcs = events.stream().filter(e -> e.getEventType().getName().equals("dev.sdp.Rpc")
                    && e.getBoolean("client") && "completed".equals(e.getString("outcome")) && e.getLong("requestBytes") == 1000).count();
            long handshakes = events.stream().filter(e -> e.getEventType().getName().equals("dev.sdp.Handshake")
                    && "established".equals(e.getString("outcome"))).count();
            assertEquals(20, rpcs, "one event per call");
            assertEquals(1, handshakes);
        } finally {
            server.destroyForcibly();
        }
    }
}
