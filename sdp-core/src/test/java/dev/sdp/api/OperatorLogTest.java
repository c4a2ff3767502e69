package dev.sdp.api;

import static dev.sdp.api.TlsSessionTest.PKI;
import static dev.sdp.api.TlsSessionTest.client;
import static dev.sdp.api.TlsSessionTest.failure;
import static dev.sdp.api.TlsSessionTest.server;
import static dev.sdp.api.TlsSessionTest.tls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.SdpSocket;
import dev.sdp.session.HandshakeConfig.ClientAuth;
import dev.sdp.session.Sessions;
import dev.sdp.transport.OperatorLog;
import java.nio.ByteBuffer;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What an operator reads in the log (System.Logger, here through java.util.logging), and that a peer cannot flood it. */
@Timeout(60)
class OperatorLogTest {
    /** Collects in {@code records} what one logger writes while {@code body} runs. */
    private static void capture(String logger, List<LogRecord> records, ThrowingRunnable body) throws Exception {
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger jul = Logger.getLogger(logger);
        jul.addHandler(handler);
        try {
            body.run();
        } finally {
            jul.removeHandler(handler);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aServerLogsAHandshakeItRefusedWithThePeerAndTheReason() throws Exception {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        capture(Sessions.class.getName(), records, () -> {
            try (SdpSocket server = server(tls(PKI.server()).clientAuth(ClientAuth.NEED).build(), new ConcurrentHashMap<>());
                 SdpSocket anonymous = client(tls(PKI.anonymousClient()).build())) {
                failure(anonymous.call(server.localAddress(), ByteBuffer.wrap(new byte[10])));
                TlsSessionTest.await(() -> records.stream().anyMatch(r -> r.getLevel() == Level.WARNING), Duration.ofSeconds(5), "a warning");
                String peer = anonymous.localAddress().toString();
                LogRecord warning = records.stream().filter(r -> r.getLevel() == Level.WARNING).findFirst().orElseThrow();
                String text = MessageFormat.format(warning.getMessage(), warning.getParameters());
                assertTrue(text.contains(peer) && text.contains("handshake"), text);
            }
        });
        assertTrue(records.stream().anyMatch(r -> r.getLevel() == Level.WARNING), records::toString);
    }

    @Test
    void aFloodOfOneKindIsWrittenOnceASecondWithTheCountLeftOut() throws Exception {
        String name = OperatorLogTest.class.getName();
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        capture(name, records, () -> {
            OperatorLog log = new OperatorLog(OperatorLogTest.class, System.Logger.Level.WARNING);
            for (int i = 0; i < 50; i++) {
                log.log("peer {0} misbehaved", i);
            }
            Thread.sleep(1_050);
            log.log("peer {0} misbehaved", 50);
        });
        assertEquals(2, records.size(), records::toString);
        assertTrue(records.get(1).getMessage().contains("49 more"), records.get(1).getMessage());
    }
}
