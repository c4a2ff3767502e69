package dev.sdp.session;

import java.net.InetSocketAddress;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/** What the handshake layer tells the endpoint: a session is ready to install, or a handshake failed. */
public sealed interface SessionEvent {
    /** The peer the event is about. */
    InetSocketAddress peer();

    /**
     * A handshake completed on this side: install {@code keys} for {@code peer}, replacing any
     * earlier session with it. {@code session} carries the verified peer identity.
     */
    record Established(InetSocketAddress peer, ExporterKeys.Directions keys, SSLSession session) implements SessionEvent {
    }

    /**
     * A handshake with {@code peer} failed (the TLS cause, a timeout, or the peer's alert). When the
     * failure came after this side had installed keys ({@code afterEstablished}), that session is void.
     */
    record Failed(InetSocketAddress peer, SSLException cause, boolean afterEstablished) implements SessionEvent {
    }

    /** The server confirmed a handshake this side completed as client: it holds the keys too. */
    record Confirmed(InetSocketAddress peer) implements SessionEvent {
    }
}
