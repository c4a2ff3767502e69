package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.PemCredentials;
import dev.sdp.transport.TransportConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/** What the commands share: setting up an endpoint's security from the options, and binding it. */
final class Endpoints {
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    /** How the Linux datagram driver reports a failed system call. */

    private Endpoints() {
    }

    /** The server's credentials from {@code dir} (as {@code sdp keygen} writes them), trusting its CA for client certificates. */
    static SSLContext serverContext(Path dir) throws IOException, GeneralSecurityException {
        return PemCredentials.sslContext(dir.resolve(DemoCredentials.SERVER_CERT), dir.resolve(DemoCredentials.SERVER_KEY), ca(dir));
    }

    /** A client trusting the CA in {@code dir}, presenting the client certificate when the directory has one. */
    static SSLContext clientContext(Path dir) throws IOException, GeneralSecurityException {
        return Files.isReadable(dir.resolve(DemoCredentials.CLIENT_CERT))
                ? PemCredentials.sslContext(dir.resolve(DemoCredentials.CLIENT_CERT), dir.resolve(DemoCredentials.CLIENT_KEY), ca(dir))
                : PemCredentials.sslContext(null, null, ca(dir));
    }

    private static Path ca(Path dir) {
        Path ca = dir.resolve(DemoCredentials.CA_CERT);
        if (!Files.isReadable(ca)) {
            throw new IllegalArgumentException("no " + DemoCredentials.CA_CERT + " in " + dir + " (create credentials with 'sdp keygen --out DIR')");
        }
        return ca;
    }

    /**
     * Sets up {@code builder} as a server or a client: plaintext mode, or TLS 1.3 with the
     * credentials {@code sdp keygen} writes in {@code certDir}. A client presents the client
     * certificate when the directory has one.
     */
    static SdpSocket.Builder secure(SdpSocket.Builder builder, Path certDir, boolean plaintext, boolean server, boolean requireClientCert)
            throws IOException, GeneralSecurityException {
        return secure(builder, certDir, plaintext, server, requireClientCert, HANDSHAKE_TIMEOUT);
    }

    /** {@link #secure} with a handshake that fails after {@code handshakeTimeout}. */
    static SdpSocket.Builder secure(SdpSocket.Builder builder, Path certDir, boolean plaintext, boolean server, boolean requireClientCert,
                                    Duration handshakeTimeout) throws IOException, GeneralSecurityException {
        if (plaintext == (certDir != null)) {
            throw new IllegalArgumentException("give either --cert-dir DIR (credentials from 'sdp keygen') or --plaintext");
        }
        if (plaintext) {
            return builder.plaintextPeers(true);
        }
        SSLContext context = server ? serverContext(certDir) : clientContext(certDir);
        return builder.tls(HandshakeConfig.builder(context).timeout(handshakeTimeout)
                .clientAuth(requireClientCert ? HandshakeConfig.ClientAuth.NEED : HandshakeConfig.ClientAuth.NONE).build());
    }

    /** Binds {@code builder} to {@code address} with {@code config}; a failure names the address. */
    static SdpSocket open(SdpSocket.Builder builder, InetSocketAddress address, TransportConfig config) throws IOException {
        try {
            return builder.bind(address).config(config).build();
        } catch (IOException e) {
            throw bindFailure(address, e);
        }
    }

    /** {@code cannot bind HOST:PORT: why}, the same words whichever datagram driver failed. */
    static IOException bindFailure(InetSocketAddress address, IOException e) {
        return new IOException("cannot bind " + Addresses.format(address) + ": " + Main.message(e), e);
    }
}
