package dev.sdp.transport;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A JFR event per RESEND this side sent or received (docs/PROTOCOL.md §6): loss recovery at work. */
@Name("dev.sdp.Resend")
@Label("SDP RESEND")
@Category("SDP")
@Description("A request to send a range of a message again, sent or received")
@StackTrace(false)
final class ResendEvent extends jdk.jfr.Event {
    @Label("Peer")
    String peer;

    @Label("Message ID")
    long messageId;

    @Label("Offset")
    @DataAmount
    long offset;

    @Label("Length")
    @DataAmount
    long length;

    @Label("Sent")
    @Description("True for a RESEND this side sent (it misses data), false for one it received")
    boolean sent;

    /** Records one RESEND if a recording wants it (the event object does not escape otherwise). */
    static void report(Peer peer, long messageId, long offset, long length, boolean sent) {
        ResendEvent e = new ResendEvent();
        if (e.shouldCommit()) {
            e.peer = peer.address.toString();
            e.messageId = messageId;
            e.offset = offset;
            e.length = length;
            e.sent = sent;
            e.commit();
        }
    }
}
