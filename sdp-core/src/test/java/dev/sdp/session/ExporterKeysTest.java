package dev.sdp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.crypto.CipherSuite;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Arrays;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Keys exported from real JSSE TLS 1.3 handshakes (two SSLEngines in memory). */
class ExporterKeysTest {
    private static SSLContext context;

    @BeforeAll
    static void credentials(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("test.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "test", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=sdp-test",
                "-validity", "1", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit")
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertEquals(0, keytool.waitFor(), output);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "changeit".toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(keys);
        context = SSLContext.getInstance("TLSv1.3");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    }

    /** Runs a handshake between two engines restricted to {@code suite}; returns {client, server}. */
    private static SSLEngine[] handshake(CipherSuite suite) throws Exception {
        SSLEngine client = context.createSSLEngine("sdp-test", 1);
        SSLEngine server = context.createSSLEngine();
        client.setUseClientMode(true);
        server.setUseClientMode(false);
        for (SSLEngine e : new SSLEngine[] {client, server}) {
            e.setEnabledProtocols(new String[] {"TLSv1.3"});
            e.setEnabledCipherSuites(new String[] {suite.name()});
        }
        int size = client.getSession().getPacketBufferSize();
        ByteBuffer toServer = ByteBuffer.allocate(size * 4);
        ByteBuffer toClient = ByteBuffer.allocate(size * 4);
        ByteBuffer sink = ByteBuffer.allocate(client.getSession().getApplicationBufferSize() * 2);
        ByteBuffer empty = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        for (int step = 0; step < 200 && !(done(client) && done(server)); step++) {
            pump(client, empty, toServer, toClient, sink);
            pump(server, empty, toClient, toServer, sink);
        }
        assertTrue(done(client) && done(server), "handshake finished");
        return new SSLEngine[] {client, server};
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus s = e.getHandshakeStatus();
        return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
    }

    /** One step of one engine: run delegated tasks, produce into {@code out}, consume {@code in}. */
    private static void pump(SSLEngine engine, ByteBuffer empty, ByteBuffer out, ByteBuffer in, ByteBuffer sink) throws Exception {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
        engine.wrap(empty, out);
        in.flip();
        while (in.hasRemaining()) {
            sink.clear();
            if (engine.unwrap(in, sink).bytesConsumed() == 0) {
                break;
            }
            while ((task = engine.getDelegatedTask()) != null) {
                task.run();
            }
        }
        in.compact();
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void bothEndsDeriveMatchingDistinctKeysForTheNegotiatedSuite(CipherSuite suite) throws Exception {
        SSLEngine[] first = handshake(suite);
        ExporterKeys.Directions client = ExporterKeys.derive(first[0].getSession(), true);
        ExporterKeys.Directions server = ExporterKeys.derive(first[1].getSession(), false);
        assertEquals(suite, client.send().suite());
        assertArrayEquals(client.send().trafficSecret(), server.receive().trafficSecret());
        assertArrayEquals(client.receive().trafficSecret(), server.send().trafficSecret());
        assertFalse(Arrays.equals(client.send().trafficSecret(), client.receive().trafficSecret()), "directions differ");
        assertEquals(suite.hashLength(), client.send().trafficSecret().length);

        ExporterKeys.Directions again = ExporterKeys.derive(handshake(suite)[0].getSession(), true);
        assertFalse(Arrays.equals(client.send().trafficSecret(), again.send().trafficSecret()), "each handshake has its own keys");
    }
}
