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
import java.nio.ByteBuffer;
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
            Frames in = new Frames(socket);
            DataOutputStream out = output(socket);
            while (true) {
                int length = in.next();
                write(out, ByteBuffer.wrap(in.buffer, 0, length));
            }
        } catch (IOException endOfConnection) {
            // The client closed its connection.
        }
    }

    /** A client connection to {@code server} with TCP_NODELAY, and with TLS 1.3 and {@link #SUITE} handshaken when {@code tls} is not null. */
    static Socket connect(InetSocketAddress server, SSLContext tls) throws IOException {
        Socket socket = tls == null ? new Socket() : tls.getSocketFactory().createSocket();
        if (socket instanceof SSLSocket s) {
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            s.setEnabledCipherSuites(new String[] {SUITE});
        }
        socket.setTcpNoDelay(true);
        socket.connect(server, 5000);
        if (socket instanceof SSLSocket s) {
            s.startHandshake();
        }
        return socket;
    }

    /** A buffered stream over a connection, so that a length prefix and its bytes go out in one write. */
    static DataOutputStream output(Socket socket) throws IOException {
        return new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
    }

    /** Writes {@code message} (position to limit; consumed) as one frame and flushes it. */
    static void write(DataOutputStream out, ByteBuffer message) throws IOException {
        out.writeInt(message.remaining());
        if (message.hasArray()) {
            out.write(message.array(), message.arrayOffset() + message.position(), message.remaining());
            message.position(message.limit());
        } else {
            byte[] bytes = new byte[message.remaining()];
            message.get(bytes);
            out.write(bytes);
        }
        out.flush();
    }

    /** The frames coming in on a connection, read one after another into a buffer that grows to the largest. */
    static final class Frames {
        private final DataInputStream in;
        /** The last frame read, from index 0. */
        byte[] buffer = new byte[0];

        Frames(Socket socket) throws IOException {
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
        }

        /** Reads the next frame into {@link #buffer}; returns its length. */
        int next() throws IOException {
            int length = in.readInt();
            if (buffer.length < length) {
                buffer = new byte[length];
            }
            in.readFully(buffer, 0, length);
            return length;
        }
    }

    /** One client connection, one round trip at a time. */
    public static final class Client implements AutoCloseable {
        private final Socket socket;
        private final Frames in;
        private final DataOutputStream out;

        public Client(InetSocketAddress server, SSLContext tls) throws IOException {
            socket = connect(server, tls);
            in = new Frames(socket);
            out = output(socket);
        }

        /** Sends {@code request} (position to limit; consumed) and waits for the echo; returns the echoed length. */
        public int roundTrip(ByteBuffer request) throws IOException {
            write(out, request);
            return in.next();
        }

        /** Sends the first {@code length} bytes of {@code request} and waits for the echo; returns the echoed length. */
        public int roundTrip(byte[] request, int length) throws IOException {
            return roundTrip(ByteBuffer.wrap(request, 0, length));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
