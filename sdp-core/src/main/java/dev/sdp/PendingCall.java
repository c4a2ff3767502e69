// Design notes: the future of one call, and the engine's attachment for it. It knows its peer and
// start time because session policy asks about them when the call times out (docs/PROTOCOL.md §5b,
// "Lifetime"); giving up on it (cancel, timeout) must free its slot in the engine or the handshake
// queue, which the socket does under its lock through the abandon function.
package dev.sdp;

import dev.sdp.transport.RpcException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/** The future of one call; cancelling it (or its timeout) abandons the call. */
final class PendingCall extends CompletableFuture<ByteBuffer> {
    private final InetSocketAddress peer;
    private final long startedNanos = System.nanoTime();
    private final long deadlineNanos;
    private final Consumer<PendingCall> abandon;

    /** A call to {@code peer} that must be answered within {@code timeoutNanos} (Long.MAX_VALUE: no deadline). */
    PendingCall(InetSocketAddress peer, long timeoutNanos, Consumer<PendingCall> abandon) {
        this.peer = peer;
        this.deadlineNanos = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : startedNanos + timeoutNanos;
        this.abandon = abandon;
    }

    /** When the engine fails the call with TIMEOUT (System.nanoTime scale), or Long.MAX_VALUE. */
    long deadlineNanos() {
        return deadlineNanos;
    }

    InetSocketAddress peer() {
        return peer;
    }

    long startedNanos() {
        return startedNanos;
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
        boolean done = super.completeExceptionally(ex instanceof TimeoutException
                ? new RpcException(RpcException.Reason.TIMEOUT, "call timed out") : ex);
        if (done && (ex instanceof TimeoutException || ex instanceof CancellationException)) {
            abandon.accept(this);
        }
        return done;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean done = super.cancel(mayInterruptIfRunning);
        if (done) {
            abandon.accept(this);
        }
        return done;
    }
}
