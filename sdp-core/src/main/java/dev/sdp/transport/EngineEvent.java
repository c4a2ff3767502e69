package dev.sdp.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** What the engine tells the application: a request to serve, a response, or a failed call. */
public sealed interface EngineEvent {
    /** A complete request from {@code peer}; answer it with {@link Engine#prepareReply} and {@link Engine#submitReply}. */
    record RequestReceived(InetSocketAddress peer, ServerCall call, ByteBuffer payload) implements EngineEvent { }

    /** The response to the call submitted with {@code attachment}. */
    record CallCompleted(Object attachment, ByteBuffer payload) implements EngineEvent { }

    /** The call submitted with {@code attachment} failed. */
    record CallFailed(Object attachment, RpcException error) implements EngineEvent { }
}
