package dev.sdp.cli;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;

/**
 * Any number of concurrent callers over one blocking {@link TcpEcho} connection, with TLS 1.3
 * (JSSE) or without: a caller writes its request under the connection's write lock and waits; one
 * reader thread takes the echoes as they come back, in the order the requests went out, and wakes
 * the caller of each. This is the blocking-socket counterpart of callers sharing one SDP socket or
 * one Netty connection: every transport hands each response from a receiving thread to its caller.
 */
final class PipelinedTcpClient implements AutoCloseable {
    private final Socket socket;
    private final DataOutputStream out;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Calls written and not yet answered, oldest first; added to under the write lock, so in the order written. */
    private final Queue<CompletableFuture<Integer>> inFlight = new ConcurrentLinkedQueue<>();
    private volatile IOException failure;

    PipelinedTcpClient(InetSocketAddress server, SSLContext tls, String name) throws IOException {
        socket = TcpEcho.connect(server, tls);
        out = TcpEcho.output(socket);
        TcpEcho.Frames in = new TcpEcho.Frames(socket);
        Thread.ofPlatform().daemon().name(name + "-reader").start(() -> read(in));
    }

    /** The reader thread: completes the oldest call with each echo's length until the connection ends. */
    private void read(TcpEcho.Frames in) {
        try {
            while (true) {
                int length = in.next();
                CompletableFuture<Integer> oldest = inFlight.poll();
                if (oldest == null) {
                    throw new IOException("an echo came back for no request");
                }
                oldest.complete(length);
            }
        } catch (IOException e) {
            failure = e;
            for (CompletableFuture<Integer> call; (call = inFlight.poll()) != null; ) {
                call.completeExceptionally(e);
            }
        }
    }

    /** Sends {@code request} (position to limit; consumed) and waits for its echo; returns the echo's length. */
    int call(ByteBuffer request, Duration timeout) throws IOException, InterruptedException {
        CompletableFuture<Integer> echo = new CompletableFuture<>();
        writeLock.lock();
        try {
            if (failure != null) {
                throw new IOException("connection failed: " + Main.message(failure), failure);
            }
            inFlight.add(echo);
            TcpEcho.write(out, request);
        } finally {
            writeLock.unlock();
        }
        try {
            return echo.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IOException("connection failed: " + Main.message(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no echo within " + timeout.toMillis() + " ms", e);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
