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
    private final Consumer<PendingCall> abandon;

    PendingCall(InetSocketAddress peer, Consumer<PendingCall> abandon) {
        this.peer = peer;
        this.abandon = abandon;
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
