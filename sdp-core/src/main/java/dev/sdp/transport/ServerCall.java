package dev.sdp.transport;

import java.net.InetSocketAddress;

/** Handle of a request delivered to the application, to reply to it. Opaque outside the engine. */
public final class ServerCall {
    final Rpc rpc;

    ServerCall(Rpc rpc) {
        this.rpc = rpc;
    }

    /** The peer that sent the request. */
    public InetSocketAddress peer() {
        return rpc.peer.address;
    }

    /** The session the request arrived in (as {@link Engine#replacePeer} returned it); unique per engine. */
    public long sessionId() {
        return rpc.peer.sessionId;
    }
}
