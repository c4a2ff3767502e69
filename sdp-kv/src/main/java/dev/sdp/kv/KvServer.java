package dev.sdp.kv;

import dev.sdp.IncomingRequest;
import dev.sdp.SdpSocket;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.transport.TransportConfig;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * One {@link KvStore} served over RESP2 on plain TCP, on TLS 1.3 over TCP (JSSE), and over SDP
 * (one command per RPC: the request is the RESP-encoded command, the response its RESP reply), all
 * at once, as the paper added an SDP socket to Redis beside its TCP sockets. TCP connections
 * pipeline as Redis clients expect: replies are flushed when no further command is waiting.
 */
public final class KvServer implements AutoCloseable {
    /** Largest bulk string accepted in a command (Redis's default proto-max-bulk-len is 512 MB). */
    public static final long MAX_BULK = 64L << 20;
    private static final int MAX_CONNECTIONS = 10_000;
    private static final System.Logger LOG = System.getLogger(KvServer.class.getName());

    private final KvStore store;
    private final List<AutoCloseable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong refusedConnections = new AtomicLong();
    private final AtomicLong protocolErrors = new AtomicLong();
    private final Thread sweeper;
    private volatile boolean closed;

    public KvServer(KvStore store) {
        this.store = store;
        this.sweeper = Thread.ofPlatform().daemon().name("kv-expiry").start(() -> {
            while (!closed) {
                store.sweepExpired(1000);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** The store behind every listener. */
    public KvStore store() {
        return store;
    }

    /** Malformed requests answered with a protocol error (the connection is then closed). */
    public long protocolErrors() {
        return protocolErrors.get();
    }

    /** Connections refused because {@value #MAX_CONNECTIONS} were open. */
    public long refusedConnections() {
        return refusedConnections.get();
    }

    /** Serves RESP on TCP at {@code bind}, with TLS 1.3 when {@code tls} is not null; returns the bound address. */
    public InetSocketAddress listenTcp(InetSocketAddress bind, SSLContext tls) throws IOException {
        ServerSocket server = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket();
        if (server instanceof SSLServerSocket s) {
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
        }
        server.setReuseAddress(true);
        server.bind(bind, 512);
        listeners.add(server);
        Thread.ofPlatform().daemon().name("kv-accept-" + server.getLocalPort()).start(() -> accept(server));
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    /** Serves over SDP at {@code bind}: TLS 1.3 handshakes with {@code tls}, or plaintext mode when it is null. */
    public InetSocketAddress listenSdp(InetSocketAddress bind, HandshakeConfig tls, TransportConfig config) throws IOException {
        SdpSocket.Builder builder = SdpSocket.builder().bind(bind).config(config).handler(this::serve);
        SdpSocket socket = (tls == null ? builder.plaintextPeers(true) : builder.tls(tls)).build();
        listeners.add(socket);
        return socket.localAddress();
    }

    private void accept(ServerSocket server) {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;
            }
            if (connections.incrementAndGet() > MAX_CONNECTIONS) {
                connections.decrementAndGet();
                refusedConnections.incrementAndGet();
                closeQuietly(socket);
                continue;
            }
            Thread.ofVirtual().name("kv-conn").start(() -> {
                try {
                    serve(socket);
                } finally {
                    connections.decrementAndGet();
                    closeQuietly(socket);
                }
            });
        }
    }

    private void serve(Socket socket) {
        try {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            Resp.Reader reader = new Resp.Reader(in, MAX_BULK);
            Resp.Writer writer = new Resp.Writer(out);
            while (!closed) {
                List<byte[]> command;
                try {
                    command = reader.readCommand();
                } catch (Resp.ProtocolException e) {
                    protocolErrors.incrementAndGet();
                    writer.error("ERR Protocol error: " + e.getMessage());
                    out.flush();
                    return;
                }
                if (command == null) {
                    return;
                }
                if (store.execute(command, writer) == KvStore.After.CLOSE) {
                    out.flush();
                    return;
                }
                if (in.available() == 0) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            // The client went away, possibly in the middle of a command: nothing to answer.
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "connection failed", e);
        }
    }

    /** One SDP request: exactly one RESP command. */
    private void serve(IncomingRequest request) throws IOException {
        ByteBuffer payload = request.payload();
        ByteArrayOutputStream reply = new ByteArrayOutputStream(64);
        Resp.Writer writer = new Resp.Writer(reply);
        try {
            Resp.Reader reader = new Resp.Reader(new ByteBufferInput(payload), MAX_BULK);
            List<byte[]> command = reader.readCommand();
            if (command == null || payload.hasRemaining()) {
                throw new Resp.ProtocolException(command == null ? "empty request" : "one command per request");
            }
            store.execute(command, writer);
        } catch (IOException e) {
            protocolErrors.incrementAndGet();
            reply.reset();
            writer.error("ERR Protocol error: " + e.getMessage());
        }
        request.reply(ByteBuffer.wrap(reply.toByteArray()));
    }

    /** Reads a ByteBuffer as a stream (the buffer's position advances). */
    static final class ByteBufferInput extends InputStream {
        private final ByteBuffer buffer;

        ByteBufferInput(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public int read() {
            return buffer.hasRemaining() ? buffer.get() & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (!buffer.hasRemaining()) {
                return -1;
            }
            int n = Math.min(len, buffer.remaining());
            buffer.get(b, off, n);
            return n;
        }

        @Override
        public int available() {
            return buffer.remaining();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // Closing: nothing to recover.
        }
    }

    @Override
    public void close() {
        closed = true;
        sweeper.interrupt();
        listeners.forEach(KvServer::closeQuietly);
    }
}
