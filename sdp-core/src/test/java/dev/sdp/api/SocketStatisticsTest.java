package dev.sdp.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.SdpSocket;
import dev.sdp.SocketStatistics;
import dev.sdp.Statistic;
import dev.sdp.crypto.RecordStatus;
import dev.sdp.transport.TransportStats.Counter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The statistics snapshot: every counter there, documented, named in snake_case, read-only, and deltas. */
class SocketStatisticsTest {
    @Test
    void everyTransportAndRecordCounterHasADocumentedSnakeCaseStatistic() {
        Set<String> keys = new HashSet<>();
        for (Statistic s : Statistic.values()) {
            assertTrue(s.key().matches("[a-z0-9_]+"), s.key());
            assertFalse(s.description().isBlank(), s.key());
            assertTrue(keys.add(s.key()));
        }
        for (Counter c : Counter.values()) {
            assertTrue(keys.contains(c.name().toLowerCase()), "no statistic for " + c);
        }
        for (RecordStatus r : RecordStatus.values()) {
            if (r.isRejection()) {
                assertTrue(keys.contains("records_rejected_" + r.name().toLowerCase()), "no statistic for " + r);
            }
        }
        assertEquals(Counter.values().length + RecordStatus.values().length + 2, Statistic.values().length);
    }

    @Test
    void aSnapshotDoesNotMoveAndDeltasCountWhatHappenedBetween() throws Exception {
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        try (SdpSocket server = SdpSocket.builder().bind(loopback).handler(r -> r.reply(r.payload())).build();
             SdpSocket client = SdpSocket.builder().bind(loopback).build()) {
            client.installPlaintext(server.localAddress());
            server.installPlaintext(client.localAddress());
            client.callBlocking(server.localAddress(), ByteBuffer.allocate(10));
            SocketStatistics before = client.statistics();
            for (int i = 0; i < 3; i++) {
                client.callBlocking(server.localAddress(), ByteBuffer.allocate(10));
            }
            SocketStatistics after = client.statistics();
            assertEquals(1, before.get(Statistic.RPCS_COMPLETED), "a snapshot keeps its values");
            assertEquals(3, after.since(before).get(Statistic.RPCS_COMPLETED));
            assertTrue(after.toString().contains("rpcs_completed=4"), after.toString());
            assertEquals(after.get(Statistic.PACKETS_OUT), after.byKey().get("packets_out"));
            assertThrows(UnsupportedOperationException.class, () -> after.asMap().put(Statistic.PACKETS_IN, 0L));
            assertTrue(Arrays.stream(Statistic.values()).allMatch(s -> after.asMap().containsKey(s)));
        }
    }
}
