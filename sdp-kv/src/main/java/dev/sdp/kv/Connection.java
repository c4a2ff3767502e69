package dev.sdp.kv;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One client of {@link KvServer} on TCP, or TLS 1.3 layered over TCP: reads its commands, runs
 * them, and sends their replies once the store's lock is released, in batches while commands keep
 * arriving (pipelining), as Redis clients expect. Writes are watched: {@link KvServer} closes the
 * TCP socket under a write that makes no progress for the write timeout, which ends it. A client
 * the server ends (QUIT, a protocol error, a limit) is sent its last reply and a FIN, and what it
 * still sends is read and dropped for a moment, so the reply is not lost to a TCP reset.
 */
final class Connection {
    private static final int INPUT_BUFFER = 16 * 1024;
    /** Replies are sent once this many are waiting even if more commands are. */
    private static final int BATCH = ClientMemory.UNCOUNTED;
    private static final int LINGER_MILLIS = 1000;
    private static final long NOT_WRITING = Long.MIN_VALUE;
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());

    private final KvServer server;
    private final Socket tcp;
    private final SSLSocketFactory tls;
    private volatile long writingSince = NOT_WRITING;

    /** @param tls layers TLS 1.3 over {@code tcp} when not null */
    Connection(KvServer server, Socket tcp, SSLSocketFactory tls) {
        this.server = server;
        this.tcp = tcp;
        this.tls = tls;
    }

    /** Serves the client until it or the server ends the connection, then closes it. */
    void serve() {
        try (tcp) {
            tcp.setTcpNoDelay(true);
            Socket socket = tls == null ? tcp : serverTls();
            InputStream in = new BufferedInputStream(socket.getInputStream(), INPUT_BUFFER);
            OutputStream out = timed(socket.getOutputStream());
            ClientMemory.Buffer query = server.memory().query();
            Resp.Reader reader = new Resp.Reader(in, KvServer.MAX_BULK, query);
            ReplyBuffer replies = new ReplyBuffer(server.memory().output());
            try {
                while (server.run(reader::readCommand, query, replies) == KvStore.After.CONTINUE) {
                    if (in.available() == 0 || replies.size() >= BATCH) {
                        replies.writeTo(out);
                    }
                }
                replies.writeTo(out);
                hangUp(socket);
            } finally {
                replies.clear();
            }
        } catch (IOException e) {
            // The client went away, possibly in the middle of a command, or its write timed out.
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "connection failed", e);
        }
    }

    private SSLSocket serverTls() throws IOException {
        SSLSocket socket = (SSLSocket) tls.createSocket(tcp, null, true);
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        return socket;
    }

    /** Whether a write has made no progress for longer than {@code timeoutNanos}. */
    boolean stalled(long nowNanos, long timeoutNanos) {
        long since = writingSince;
        return since != NOT_WRITING && nowNanos - since > timeoutNanos;
    }

    /** Closes the TCP socket, which ends whatever the connection is blocked in. */
    void abort() {
        try {
            tcp.close();
        } catch (IOException e) {
            // Closing: nothing to recover.
        }
    }

    /** {@code out}, with every write marked as in progress for {@link #stalled}. */
    private OutputStream timed(OutputStream out) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writingSince = System.nanoTime();
                try {
                    out.write(b, off, len);
                } finally {
                    writingSince = NOT_WRITING;
                }
            }
        };
    }

    private void hangUp(Socket socket) throws IOException {
        writingSince = System.nanoTime();
        try {
            socket.shutdownOutput();
        } finally {
            writingSince = NOT_WRITING;
        }
        tcp.setSoTimeout(LINGER_MILLIS);
        long end = System.nanoTime() + LINGER_MILLIS * 1_000_000L;
        byte[] dropped = new byte[INPUT_BUFFER];
        try {
            while (System.nanoTime() < end && tcp.getInputStream().read(dropped) >= 0) {
                // Drained: the client's further commands go unanswered.
            }
        } catch (SocketTimeoutException e) {
            // Still sending after the linger: the close may reset it now.
        }
    }
}
