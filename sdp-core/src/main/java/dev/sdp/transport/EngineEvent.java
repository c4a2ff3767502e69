package dev.sdp.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * What the engine tells the application: a request to serve, a response, or a failed call.
 *
 * @param <A> the type of the attachments calls are submitted with ({@link Engine#submitCall})
 */
public sealed interface EngineEvent<A> {
    /** A complete request from {@code peer}; answer it with {@link Engine#prepareReply} and {@link Engine#submitReply}. */
    record RequestReceived<A>(InetSocketAddress peer, ServerCall call, ByteBuffer payload) implements EngineEvent<A> { }

    /** The response to the call submitted with {@code attachment}. */
    record CallCompleted<A>(A attachment, ByteBuffer payload) implements EngineEvent<A> { }

    /** The call submitted with {@code attachment} failed. */
    record CallFailed<A>(A attachment, RpcException error) implements EngineEvent<A> { }

    /**
     * The engine ended the session with {@code peer} by itself ({@code reason} says why: its key
     * was exhausted, or its integrity limit reached); its calls have failed. A new session (a new
     * handshake) may replace it.
     */
    record SessionEnded<A>(InetSocketAddress peer, RpcException reason) implements EngineEvent<A> { }
}
