package dev.sdp.transport;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A JFR event per RPC, from its start on this side to its end: a client's call, or a server's
 * handling of one request. Recorded only while a recording enables {@code dev.sdp.Rpc}; otherwise an
 * RPC costs one check of {@link #TYPE} when it starts.
 */
@Name("dev.sdp.Rpc")
@Label("SDP RPC")
@Category("SDP")
@Description("One RPC on this side: a call made (client) or a request served (server)")
@StackTrace(false)
final class RpcEvent extends jdk.jfr.Event {
    static final EventType TYPE = EventType.getEventType(RpcEvent.class);

    @Label("Peer")
    String peer;

    @Label("RPC ID")
    long rpcId;

    @Label("Client")
    @Description("True for a call this side made, false for a request it served")
    boolean client;

    @Label("Request Size")
    @DataAmount
    long requestBytes;

    @Label("Response Size")
    @DataAmount
    long responseBytes;

    @Label("Packets Retransmitted")
    @Description("Packets of this side's message (request or response) sent again")
    int retransmittedPackets;

    @Label("Outcome")
    @Description("completed, or why the RPC ended otherwise")
    String outcome;
}
