package dev.sdp.session;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A JFR event per TLS 1.3 handshake over SDP, from its first flight to its end. Created with the
 * attempt only while a recording enables {@code dev.sdp.Handshake}.
 */
@Name("dev.sdp.Handshake")
@Label("SDP Handshake")
@Category("SDP")
@Description("A TLS 1.3 handshake over HANDSHAKE packets, as client or server")
@StackTrace(false)
final class HandshakeEvent extends jdk.jfr.Event {
    static final EventType TYPE = EventType.getEventType(HandshakeEvent.class);

    @Label("Peer")
    String peer;

    @Label("Client")
    boolean client;

    @Label("Cipher Suite")
    String suite;

    @Label("Outcome")
    @Description("established, failed or timed out")
    String outcome;

    @Label("Failure Reason")
    String failureReason;
}
