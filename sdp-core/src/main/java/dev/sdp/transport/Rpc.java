package dev.sdp.transport;

/** One RPC as either side sees it: the message going out, the message coming in, and its liveness. */
final class Rpc {
    /** Where a server-side RPC is. */
    enum ServerState { RECEIVING, EXECUTING, RESPONDING }

    final Peer peer;
    final long rpcId;
    final boolean client;
    /** What the caller submitted the call with (client side); handed back in its event. */
    final Object attachment;
    OutgoingMessage outgoing;
    IncomingMessage incoming;
    ServerState serverState = ServerState.RECEIVING;
    boolean requestAccepted;
    final long createdNanos;
    /** When a call fails with TIMEOUT whatever else happens (Long.MAX_VALUE: none); client RPCs only. */
    long deadlineNanos = Long.MAX_VALUE;
    long lastHeardNanos;
    long lastResendNanos;
    long lastRestartNanos;
    /**
     * A call's server has shown it took the request (an authenticated GRANT, BUSY or response): if it
     * later says it does not know the RPC, the response is lost and the request must not go again.
     */
    boolean requestTaken;
    /** A record of the response authenticated (the round trip was sampled then, if it could be); client RPCs only. */
    boolean responseAuthenticated;
    /** RESENDs this side sent for the RPC's incoming message since it last made progress: each waits twice as long. */
    int unansweredResends;
    /** NEED_ACKs sent for this (server) RPC's response since the client was last heard. */
    int needAcks;
    /** Position in each kind of {@link RpcHeap} (send queue, grant candidates), -1 when not in it. */
    final int[] heapPositions = {-1, -1};
    /** The RPC's JFR event while a recording wants it, else null (see {@link RpcLifecycle#close}). */
    RpcEvent event;
    /** The size of the message this side received, once delivered. */
    long receivedBytes;
    /** How the RPC ended, when it did not simply complete (the JFR event reports it). */
    String outcome;

    Rpc(Peer peer, long rpcId, boolean client, Object attachment, long now) {
        this.peer = peer;
        this.rpcId = rpcId;
        this.client = client;
        this.attachment = attachment;
        this.createdNanos = now;
        this.lastHeardNanos = now;
        this.lastResendNanos = now;
        if (RpcEvent.TYPE.isEnabled()) {
            event = new RpcEvent();
            event.begin();
        }
    }

    /** The ID of the message this side sends: the request for a client, the response for a server. */
    long outgoingMessageId() {
        return client ? rpcId << 1 : rpcId << 1 | 1;
    }

    /** The ID of the message this side receives. */
    long incomingMessageId() {
        return client ? rpcId << 1 | 1 : rpcId << 1;
    }

    /** The table this RPC lives in while it is open. */
    RpcTable table() {
        return client ? peer.clientRpcs : peer.serverRpcs;
    }

    /** Whether the RPC is still open (its table holds it). */
    boolean isOpen() {
        return table().get(rpcId) == this;
    }
}
