package dev.sdp.session;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLKeyException;
import javax.net.ssl.SSLSession;

/**
 * SDP traffic keys from a completed TLS 1.3 handshake, through the TLS exporter (RFC 8446 §7.5,
 * docs/PROTOCOL.md §5a): one secret per direction under SDP's own labels, as long as the
 * negotiated suite's hash, with an empty context. The record cipher is the negotiated suite, so
 * keys are unique per handshake and per direction.
 */
public final class ExporterKeys {
    /** Exporter label of the client-to-server traffic secret. */
    public static final String CLIENT_LABEL = "EXPORTER-sdp client traffic";
    /** Exporter label of the server-to-client traffic secret. */
    public static final String SERVER_LABEL = "EXPORTER-sdp server traffic";
    private static final byte[] NO_CONTEXT = new byte[0];

    /** Epoch-0 keys of one end: what it seals with and what it opens with. */
    public record Directions(EpochKeys send, EpochKeys receive) {
    }

    private ExporterKeys() {
    }

    /**
     * Derives both directions' keys from {@code session}, as seen by the client ({@code client})
     * or the server end.
     *
     * @throws SSLKeyException when the session is not TLS 1.3 with an SDP cipher suite, or the
     *     exporter refuses
     */
    public static Directions derive(SSLSession session, boolean client) throws SSLKeyException {
        if (!(session instanceof ExtendedSSLSession extended) || !"TLSv1.3".equals(session.getProtocol())) {
            throw new SSLKeyException("SDP needs a TLS 1.3 session, got " + session.getProtocol());
        }
        CipherSuite suite;
        try {
            suite = CipherSuite.valueOf(session.getCipherSuite());
        } catch (IllegalArgumentException e) {
            throw new SSLKeyException("cipher suite " + session.getCipherSuite() + " is not one SDP supports");
        }
        EpochKeys clientToServer = EpochKeys.initial(suite, extended.exportKeyingMaterialData(CLIENT_LABEL, NO_CONTEXT, suite.hashLength()));
        EpochKeys serverToClient = EpochKeys.initial(suite, extended.exportKeyingMaterialData(SERVER_LABEL, NO_CONTEXT, suite.hashLength()));
        return client ? new Directions(clientToServer, serverToClient) : new Directions(serverToClient, clientToServer);
    }
}
