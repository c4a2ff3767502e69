package dev.sdp.transport;

/**
 * A request or response whose first segment is sealed, ready to hand to the engine. After submitting
 * it, one thread seals the rest with {@link #sealNextSegment}, telling the engine after each segment
 * ({@link Engine#resume}), so transmission starts before sealing ends.
 */
public final class PreparedMessage {
    final Peer peer;
    final long rpcId;
    final OutgoingMessage message;

    PreparedMessage(Peer peer, long rpcId, OutgoingMessage message) {
        this.peer = peer;
        this.rpcId = rpcId;
        this.message = message;
    }

    /** Whether every segment is sealed (always, for a message of one segment or in plaintext mode). */
    public boolean fullySealed() {
        return message.fullySealed();
    }

    /**
     * Seals the next segment on the calling thread; returns false when every segment was sealed
     * already. Tell the engine of each segment sealed, the last too ({@link Engine#resume}): the
     * engine may have sent everything before it and stopped looking at the message.
     */
    public boolean sealNextSegment() {
        return message.sealNextSegment();
    }
}
