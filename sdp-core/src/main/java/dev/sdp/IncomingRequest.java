package dev.sdp;

import dev.sdp.transport.RpcException;
import dev.sdp.transport.ServerCall;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * A request delivered to the server side of an {@link SdpSocket}; answer it once with {@link #reply},
 * from any thread, now or later.
 */
public final class IncomingRequest {
    /** How a reply reaches the endpoint that received the request. */
    interface Replier {
        void reply(ServerCall call, ByteBuffer response) throws RpcException;

        void fail(ServerCall call, String message) throws RpcException;
    }

    private final Replier replier;
    private final ServerCall call;
    private final ByteBuffer payload;
    private final SSLSession tlsSession;

    IncomingRequest(Replier replier, ServerCall call, ByteBuffer payload, SSLSession tlsSession) {
        this.replier = replier;
        this.call = call;
        this.payload = payload;
        this.tlsSession = tlsSession;
    }

    /**
     * The TLS session whose keys protect this request; empty for installed keys and plaintext mode.
     *
     * @return the TLS session, or empty
     */
    public Optional<SSLSession> tlsSession() {
        return Optional.ofNullable(tlsSession);
    }

    /**
     * The client's verified identity (the subject of its certificate) when it authenticated with
     * one (mutual TLS); empty otherwise.
      *
      * @return the client certificate's subject, or empty
     */
    public Optional<Principal> peerPrincipal() {
        if (tlsSession == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(tlsSession.getPeerPrincipal());
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /**
     * The peer that sent the request.
     *
     * @return the client's address
     */
    public InetSocketAddress peer() {
        return call.peer();
    }

    /**
     * The request bytes (a read-only view; position to limit).
     *
     * @return the request
     */
    public ByteBuffer payload() {
        return payload.asReadOnlyBuffer();
    }

    /**
     * Sends the response (position to limit; consumed). A response of more than 64 KiB is sealed on
     * the record workers after this returns, so its bytes must not change afterwards. A reply to a
     * client that went away is dropped.
      *
      * @param response the response bytes
      * @throws RpcException if the response cannot be sent (too large, or already answered)
     */
    public void reply(ByteBuffer response) throws RpcException {
        replier.reply(call, response);
    }

    /**
     * Answers with an error instead of a response: the caller's call fails at once with
     * {@link RpcException.Reason#REMOTE_ERROR} and {@code message} (at most 1 KiB of it, UTF-8; it
     * reaches the client, so it should not say more than the client may know). Instead of {@link #reply}, not after it.
      *
      * @param message what the client is told
      * @throws RpcException if the request was already answered
     */
    public void fail(String message) throws RpcException {
        replier.fail(call, message);
    }
}
