package dev.sdp.transport;

/** A request or response already sealed on the caller's thread, ready to hand to the engine. */
public final class PreparedMessage {
    final Peer peer;
    final long rpcId;
    final OutgoingMessage message;

    PreparedMessage(Peer peer, long rpcId, OutgoingMessage message) {
        this.peer = peer;
        this.rpcId = rpcId;
        this.message = message;
    }
}
