// Design notes: hands the engine's events to the application, always outside the socket's lock, since
// completing a future or running a handler runs application code (docs/ARCHITECTURE.md, "Transport
// threading"). Whichever thread took the events under the lock hands them out: the I/O thread, or a
// caller that polled or changed the endpoint, so a response reaches a polling caller with no hand-off.
// An RPC is a request and its response (docs/PROTOCOL.md §1); a failing handler's request is answered
// with an error response (§4), so the client's call fails within a round trip.
package dev.sdp;

import dev.sdp.transport.EngineEvent;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.TransportStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSession;

/**
 * Hands engine events out: responses and failures to their calls' futures, requests to the handler
 * (on the thread at hand or the configured executor) or, without a handler, to the receive queue.
 * Thread-safe; used outside the socket's lock.
 */
final class Dispatcher {
    // Logged under the socket's name: that is the logger applications know and configure.
    private static final System.Logger LOG = System.getLogger(SdpSocket.class.getName());

    private final RequestHandler handler;
    private final Executor handlerExecutor;
    private final IncomingRequest.Replier replier;
    private final Endpoint endpoint;
    private final LinkedBlockingQueue<IncomingRequest> requests = new LinkedBlockingQueue<>();
    private final AtomicLong handlerErrors = new AtomicLong();
    private final TransportStats stats;
    /**
     * Each thread's events between taking them under the lock and handing them out, reused so the
     * call path allocates no list. Handing out can re-enter (a handler replies, a callback calls):
     * each level appends after the events of the level below and removes only its own.
     */
    private final ThreadLocal<List<EngineEvent<PendingCall>>> batches = ThreadLocal.withInitial(ArrayList::new);

    Dispatcher(RequestHandler handler, Executor handlerExecutor, IncomingRequest.Replier replier,
               Endpoint endpoint, TransportStats stats) {
        this.stats = stats;
        this.handler = handler;
        this.handlerExecutor = handlerExecutor;
        this.replier = replier;
        this.endpoint = endpoint;
    }

    /** The calling thread's batch: take events into it under the lock, then {@link #dispatch} them. */
    List<EngineEvent<PendingCall>> batch() {
        return batches.get();
    }

    /** Hands out the events of {@code batch} from index {@code from} on, then drops them; outside the lock. */
    void dispatch(List<EngineEvent<PendingCall>> batch, int from) {
        int end = batch.size();
        try {
            for (int i = from; i < end; i++) {
                dispatch(batch.get(i));
            }
        } finally {
            for (int i = batch.size() - 1; i >= from; i--) {
                batch.remove(i);
            }
        }
    }

    private void dispatch(EngineEvent<PendingCall> event) {
        switch (event) {
            case EngineEvent.CallCompleted<PendingCall> c -> c.attachment().complete(c.payload());
            case EngineEvent.CallFailed<PendingCall> f -> f.attachment().completeExceptionally(f.error());
            case EngineEvent.RequestReceived<PendingCall> r -> {
                // Identity is looked up by the session the request arrived in, never by address alone: a
                // request from a session replaced meanwhile must not run as the new session's peer. Its
                // RPC is gone with its session, so it could not be answered either.
                SSLSession tls = endpoint.tlsSession(r.call());
                if (endpoint.isCurrent(r.call())) {
                    deliver(new IncomingRequest(replier, r.call(), r.payload(), tls));
                } else {
                    stats.increment(TransportStats.Counter.REQUESTS_OF_ENDED_SESSIONS);
                }
            }
            case EngineEvent.SessionEnded<PendingCall> s -> {
                // Session policy, not the application: Endpoint.drainEvents keeps these.
            }
        }
    }

    private void deliver(IncomingRequest request) {
        if (handler == null) {
            requests.add(request);
        } else if (handlerExecutor == null) {
            runHandler(request);
        } else {
            try {
                handlerExecutor.execute(() -> runHandler(request));
            } catch (RejectedExecutionException e) {
                handlerFailed(request, e);
            }
        }
    }

    /** Runs the handler; whatever it throws, Errors included, stays with this request. */
    private void runHandler(IncomingRequest request) {
        try {
            handler.onRequest(request);
        } catch (Throwable e) {
            handlerFailed(request, e);
        }
    }

    /**
     * The handler failed: the client is told so with an error response (which says no more than
     * that: the exception stays in this process's log), so its call fails within a round trip.
     */
    private void handlerFailed(IncomingRequest request, Throwable e) {
        handlerErrors.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "request handler failed for a request from " + request.peer(), e);
        try {
            request.fail("request handler failed");
        } catch (RpcException | RuntimeException notSent) {
            // Already answered, or the session is gone: the client learns from its own timeout.
            LOG.log(System.Logger.Level.DEBUG, "could not send the error response", notSent);
        }
    }

    /** Without a handler: the next request, or null after {@code timeout}. */
    IncomingRequest receive(Duration timeout) throws InterruptedException {
        if (handler != null) {
            throw new IllegalStateException("requests go to the configured handler");
        }
        return requests.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Requests whose handler threw. */
    long handlerErrors() {
        return handlerErrors.get();
    }
}
