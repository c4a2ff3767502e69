package dev.sdp.api;

import static dev.sdp.api.TlsSessionTest.PKI;
import static dev.sdp.api.TlsSessionTest.client;
import static dev.sdp.api.TlsSessionTest.echo;
import static dev.sdp.api.TlsSessionTest.server;
import static dev.sdp.api.TlsSessionTest.tls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.SdpSocket;
import dev.sdp.testing.UdpRelay;
import dev.sdp.wire.PacketType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The JFR events a recording gets from real sockets: RPCs, handshakes, RESENDs and rejected records. */
@Timeout(60)
class JfrEventsTest {
    @Test
    void aRecordingSeesRpcsHandshakesResendsAndRejectedRecords() throws Exception {
        Path file = Files.createTempFile("sdp-events", ".jfr");
        try (Recording recording = new Recording()) {
            for (String name : List.of("dev.sdp.Rpc", "dev.sdp.Handshake", "dev.sdp.Resend", "dev.sdp.RecordRejected")) {
                recording.enable(name);
            }
            recording.start();
            try (SdpSocket server = server(tls(PKI.server()).build(), new ConcurrentHashMap<>());
                 UdpRelay relay = new UdpRelay(server.localAddress());
                 SdpSocket client = client(tls(PKI.anonymousClient()).build())) {
                echo(client, relay.address(), 100, 1);
                // One DATA packet of the next request lost (a RESEND recovers it), and one damaged (rejected).
                AtomicInteger dataPackets = new AtomicInteger();
                relay.dropToServer(d -> d[1] == PacketType.DATA.code() && dataPackets.incrementAndGet() == 3);
                echo(client, relay.address(), 200_000, 2);
                relay.dropToServer(d -> false);
                byte[] damaged = relay.fromClients().getLast().clone();
                damaged[damaged.length - 1] ^= 1;
                relay.sendToServer(damaged);
                echo(client, relay.address(), 100, 3);
            }
            recording.stop();
            recording.dump(file);
        }
        try {
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            Map<String, List<RecordedEvent>> byType = events.stream().collect(Collectors.groupingBy(e -> e.getEventType().getName()));
            List<RecordedEvent> rpcs = byType.getOrDefault("dev.sdp.Rpc", List.of());
            assertTrue(rpcs.stream().anyMatch(e -> e.getBoolean("client") && e.getLong("requestBytes") == 200_000
                    && e.getLong("responseBytes") == 200_000 && "completed".equals(e.getString("outcome"))
                    && e.getDuration().toNanos() > 0), () -> "a completed 200 kB call: " + rpcs);
            assertTrue(rpcs.stream().anyMatch(e -> !e.getBoolean("client") && e.getLong("requestBytes") == 100), "the server's side of a call");
            List<RecordedEvent> handshakes = byType.getOrDefault("dev.sdp.Handshake", List.of());
            assertEquals(2, handshakes.stream().filter(e -> "established".equals(e.getString("outcome"))).count(),
                    () -> "one handshake, seen from each side: " + handshakes);
            assertTrue(handshakes.stream().allMatch(e -> e.getString("suite").startsWith("TLS_") && e.getString("peer") != null));
            List<RecordedEvent> resends = byType.getOrDefault("dev.sdp.Resend", List.of());
            assertTrue(resends.stream().anyMatch(e -> e.getBoolean("sent")) && resends.stream().anyMatch(e -> !e.getBoolean("sent")),
                    () -> "a RESEND sent by the server and received by the client: " + resends);
            List<RecordedEvent> rejected = byType.getOrDefault("dev.sdp.RecordRejected", List.of());
            assertFalse(rejected.isEmpty(), "the damaged packet was rejected");
            assertTrue(rejected.stream().allMatch(e -> e.getString("reason") != null && e.getString("peer").contains("127.0.0.1")), rejected::toString);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
