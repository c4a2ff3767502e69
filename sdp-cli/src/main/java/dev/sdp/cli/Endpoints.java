package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.credentials.DemoCredentials;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.PemCredentials;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import picocli.CommandLine;

/** What the commands share: reading HOST:PORT, and setting up an endpoint's security from the options. */
final class Endpoints {
    private static final java.time.Duration HANDSHAKE_TIMEOUT = java.time.Duration.ofSeconds(5);

    private Endpoints() {
    }

    /** Parses {@code HOST:PORT} ({@code [v6]:PORT} for IPv6 literals) for picocli. */
    static final class AddressConverter implements CommandLine.ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            int colon = value.lastIndexOf(':');
            if (colon <= 0 || colon == value.length() - 1) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not HOST:PORT");
            }
            String host = value.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(value.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' has no numeric port");
            }
            if (port < 0 || port > 65535) {
                throw new CommandLine.TypeConversionException("port out of range in '" + value + "'");
            }
            // Keep the name as given: a client checks the server certificate against it.
            try {
                return new InetSocketAddress(InetAddress.ofLiteral(host), port);
            } catch (IllegalArgumentException notALiteral) {
                // A host name: resolve it but keep the name, which the client checks the certificate against.
            }
            try {
                return new InetSocketAddress(InetAddress.getByAddress(host, InetAddress.getByName(host).getAddress()), port);
            } catch (UnknownHostException e) {
                throw new CommandLine.TypeConversionException("unknown host '" + host + "'");
            }
        }
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

    /** HOST:PORT as users write it. */
    static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
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
                                    java.time.Duration handshakeTimeout) throws IOException, GeneralSecurityException {
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
}
