package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * An SDP session without a handshake, as the paper's kTLS-like mode runs: fresh random traffic
 * secrets for each direction (TLS_AES_128_GCM_SHA256), installed at the client and at the server,
 * which may be in another process: {@link #toLine} and {@link #parse} carry them there as one line
 * of hex (over a pipe, never a command line, which other users could read).
 */
record InstalledKeys(byte[] clientToServer, byte[] serverToClient) {
    private static final CipherSuite SUITE = CipherSuite.TLS_AES_128_GCM_SHA256;

    static InstalledKeys random() {
        SecureRandom random = new SecureRandom();
        byte[] up = new byte[SUITE.hashLength()];
        byte[] down = new byte[SUITE.hashLength()];
        random.nextBytes(up);
        random.nextBytes(down);
        return new InstalledKeys(up, down);
    }

    static InstalledKeys parse(String line) {
        String[] hex = line == null ? new String[0] : line.strip().split(" ");
        if (hex.length != 2) {
            throw new IllegalArgumentException("expected two traffic secrets in hex on one line");
        }
        return new InstalledKeys(HexFormat.of().parseHex(hex[0]), HexFormat.of().parseHex(hex[1]));
    }

    String toLine() {
        return HexFormat.of().formatHex(clientToServer) + " " + HexFormat.of().formatHex(serverToClient);
    }

    /** Installs the session with {@code server} at the client {@code socket}. */
    void installAtClient(SdpSocket socket, InetSocketAddress server) {
        socket.installKeys(server, EpochKeys.initial(SUITE, clientToServer), EpochKeys.initial(SUITE, serverToClient));
    }

    /** Installs the session with {@code client} at the server {@code socket}. */
    void installAtServer(SdpSocket socket, InetSocketAddress client) {
        socket.installKeys(client, EpochKeys.initial(SUITE, serverToClient), EpochKeys.initial(SUITE, clientToServer));
    }
}
