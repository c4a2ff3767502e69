package consumer;

import dev.sdp.SdpSocket;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;

/**
 * Uses dev.sdp:sdp-core from outside its build: an echo server and a client on loopback, sessions
 * installed with fresh keys for each direction, one encrypted call whose echo must match the request.
 * Exits 0 when it does, 1 otherwise (an exception also ends the JVM with 1).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
        SecureRandom random = new SecureRandom();
        byte[] clientSecret = new byte[suite.hashLength()];
        byte[] serverSecret = new byte[suite.hashLength()];
        random.nextBytes(clientSecret);
        random.nextBytes(serverSecret);

        InetSocketAddress anyPort = new InetSocketAddress("127.0.0.1", 0);
        boolean ok;
        try (SdpSocket server = SdpSocket.builder().bind(anyPort)
                     .handler(request -> request.reply(request.payload()))   // echo; runs on the I/O thread
                     .build();
             SdpSocket client = SdpSocket.builder().bind(anyPort).build()) {
            // Each side installs its own write keys and the peer's (kTLS-like mode, no handshake).
            client.installKeys(server.localAddress(), EpochKeys.initial(suite, clientSecret), EpochKeys.initial(suite, serverSecret));
            server.installKeys(client.localAddress(), EpochKeys.initial(suite, serverSecret), EpochKeys.initial(suite, clientSecret));

            byte[] request = "hello from a project that depends on dev.sdp:sdp-core".getBytes(StandardCharsets.UTF_8);
            ByteBuffer response = client.callBlocking(server.localAddress(), ByteBuffer.wrap(request), Duration.ofSeconds(10));
            byte[] echoed = new byte[response.remaining()];
            response.get(echoed);
            ok = Arrays.equals(request, echoed);
            System.out.println((ok ? "consumer test: ok" : "consumer test: FAILED, the echo differs from the request")
                    + " (" + request.length + " B over " + suite + ", " + server.localAddress() + " <- " + client.localAddress()
                    + "; sdp-core from " + SdpSocket.class.getProtectionDomain().getCodeSource().getLocation() + ")");
        }
        System.exit(ok ? 0 : 1);
    }
}
