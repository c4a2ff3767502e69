package dev.sdp.cli;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.GeneralSecurityException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TCP baselines: a length-prefixed echo over one TCP connection, with TLS 1.3 (JSSE,
 * TLS_AES_128_GCM_SHA256, the suite SDP uses in the benchmarks) or without, TCP_NODELAY on both
 * ends. Each message is a 4-byte big-endian length and the bytes.
 */
public final class TcpEcho {
    public static final String SUITE = "TLS_AES_128_GCM_SHA256";

    private TcpEcho() {
    }

    /** A TLS context whose key and trust both come from one PKCS#12 file (a self-signed benchmark certificate). */
    public static SSLContext tlsContext(Path pkcs12, char[] password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(pkcs12)) {
            store.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    /** Serves echo connections on {@code bind} on a daemon thread per connection; TLS when {@code tls} is not null. */
    public static ServerSocket serve(InetSocketAddress bind, SSLContext tls) throws IOException {
        ServerSocket server = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket();
        if (server instanceof SSLServerSocket s) {
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            s.setEnabledCipherSuites(new String[] {SUITE});
        }
        server.bind(bind);
        Thread.ofPlatform().daemon().name("tcp-echo-accept-" + bind.getPort()).start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofPlatform().daemon().name("tcp-echo").start(() -> echo(s));
                } catch (IOException closed) {
                    return;
                }
            }
        });
        return server;
    }

    private static void echo(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
            byte[] buffer = new byte[0];
            while (true) {
                int length = in.readInt();
                if (buffer.length < length) {
                    buffer = new byte[length];
                }
                in.readFully(buffer, 0, length);
                out.writeInt(length);
                out.write(buffer, 0, length);
                out.flush();
            }
        } catch (IOException endOfConnection) {
            // The client closed its connection.
        }
    }

    /** One client connection. */
    public static final class Client implements AutoCloseable {
        private final Socket socket;
        private final DataInputStream in;
        private final DataOutputStream out;
        private byte[] response = new byte[0];

        public Client(InetSocketAddress server, SSLContext tls) throws IOException {
            socket = tls == null ? new Socket() : tls.getSocketFactory().createSocket();
            if (socket instanceof SSLSocket s) {
                s.setEnabledProtocols(new String[] {"TLSv1.3"});
                s.setEnabledCipherSuites(new String[] {SUITE});
            }
            socket.setTcpNoDelay(true);
            socket.connect(server, 5000);
            if (socket instanceof SSLSocket s) {
                s.startHandshake();
            }
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        }

        /** Sends {@code request} and waits for the echo; returns the echoed length. */
        public int roundTrip(byte[] request, int length) throws IOException {
            out.writeInt(length);
            out.write(request, 0, length);
            out.flush();
            int echoed = in.readInt();
            if (response.length < echoed) {
                response = new byte[echoed];
            }
            in.readFully(response, 0, echoed);
            return echoed;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
