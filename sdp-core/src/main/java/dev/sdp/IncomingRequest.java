package dev.sdp;

import dev.sdp.transport.ServerCall;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** A request delivered to the server side of an {@link SdpSocket}; answer it once with {@link #reply}. */
public final class IncomingRequest {
    private final SdpSocket socket;
    private final ServerCall call;
    private final ByteBuffer payload;

    IncomingRequest(SdpSocket socket, ServerCall call, ByteBuffer payload) {
        this.socket = socket;
        this.call = call;
        this.payload = payload;
    }

    /** The peer that sent the request. */
    public InetSocketAddress peer() {
        return call.peer();
    }

    /** The request bytes (a read-only view; position to limit). */
    public ByteBuffer payload() {
        return payload.asReadOnlyBuffer();
    }

    /** Sends the response (position to limit; consumed). A reply to a client that went away is dropped. */
    public void reply(ByteBuffer response) throws dev.sdp.transport.RpcException {
        socket.reply(call, response);
    }
}
