package dev.sdp.bench;

import dev.sdp.SdpSocket;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import java.security.SecureRandom;

/** Joins two in-process sockets with installed keys (fresh random secrets) or a plaintext session, for benchmarks without a handshake. */
final class InstalledSession {
    private InstalledSession() {
    }

    static void join(SdpSocket client, SdpSocket server, boolean encrypted) {
        if (!encrypted) {
            client.installPlaintext(server.localAddress());
            server.installPlaintext(client.localAddress());
            return;
        }
        SecureRandom random = new SecureRandom();
        byte[] c2s = new byte[32];
        byte[] s2c = new byte[32];
        random.nextBytes(c2s);
        random.nextBytes(s2c);
        CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
        client.installKeys(server.localAddress(), EpochKeys.initial(suite, c2s), EpochKeys.initial(suite, s2c));
        server.installKeys(client.localAddress(), EpochKeys.initial(suite, s2c), EpochKeys.initial(suite, c2s));
    }
}
