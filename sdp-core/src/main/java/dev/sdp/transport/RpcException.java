package dev.sdp.transport;

import java.io.IOException;

/** Why an RPC failed; the {@link Reason} says which of the documented failures it was. */
public final class RpcException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The documented ways an RPC can fail. */
    public enum Reason {
        /** The peer was silent for longer than the RPC timeout. */
        TIMEOUT,
        /** The request or response exceeds the configured maximum message size. */
        MESSAGE_TOO_LARGE,
        /** The endpoint was closed while the RPC was pending. */
        CLOSED,
        /** The session's keys can no longer be used (integrity limit reached) or none are installed for the peer. */
        NO_SESSION,
        /** The peer has too many RPCs open with this endpoint. */
        TOO_MANY_RPCS,
        /** The TLS handshake with the peer failed; the cause is the TLS exception. */
        HANDSHAKE_FAILED,
        /**
         * The server no longer has the response and does not take the request again (it has run it
         * once already, or refuses it as a replay): the request may or may not have been executed.
         */
        RESPONSE_LOST,
        /** The server could not serve the request (its handler failed) and said so with an error response. */
        REMOTE_ERROR,
        /** The peer closed the session (it is shutting down); a new call starts a new session where one can be made. */
        PEER_CLOSED
    }

    /** The reason this exception carries. */
    private final Reason reason;

    /**
     * A failure of one RPC.
     *
     * @param reason why the RPC failed
     * @param message what happened, for people
     */
    public RpcException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /**
     * A failure of one RPC with its cause (a TLS exception for {@link Reason#HANDSHAKE_FAILED}).
     *
     * @param reason why the RPC failed
     * @param message what happened, for people
     * @param cause the underlying exception
     */
    public RpcException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /**
     * Why the RPC failed, for programs to act on.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
