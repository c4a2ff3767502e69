package dev.sdp.crypto;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A JFR event per record or control packet that failed to open (each is also counted in {@link RecordStats}). */
@Name("dev.sdp.RecordRejected")
@Label("SDP Record Rejected")
@Category("SDP")
@Description("A record or control packet that did not open: forged, damaged, replayed or out of its window")
@StackTrace(false)
final class RecordRejectedEvent extends jdk.jfr.Event {
    @Label("Peer")
    String peer;

    @Label("Reason")
    String reason;

    /** Records one rejection if a recording wants it (the event object does not escape otherwise). */
    static void report(String peer, RecordStatus status) {
        RecordRejectedEvent e = new RecordRejectedEvent();
        if (e.shouldCommit()) {
            e.peer = peer;
            e.reason = status.name().toLowerCase(java.util.Locale.ROOT);
            e.commit();
        }
    }
}
