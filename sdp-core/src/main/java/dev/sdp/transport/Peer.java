package dev.sdp.transport;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.ReceiveProtection;
import dev.sdp.crypto.ReplayWindow;
import dev.sdp.crypto.SendProtection;
import dev.sdp.wire.ControlHeader;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The other end of a session: its keys (absent in plaintext mode) and the RPCs open with it. */
final class Peer {
    final InetSocketAddress address;
    final SendProtection send;
    final ReceiveProtection receive;
    final CipherSuite suite;
    /** Replay window over request IDs in plaintext mode, where no record authenticates. */
    final ReplayWindow plaintextRequests;
    final AtomicLong nextRpcId = new AtomicLong(1);
    final Map<Long, Rpc> clientRpcs = new HashMap<>();
    final Map<Long, Rpc> serverRpcs = new HashMap<>();
    long unauthenticatedBytes;
    /** When a packet from the peer last authenticated (or the session was installed). */
    volatile long lastAuthenticatedNanos = Long.MIN_VALUE / 2;
    /** Completed calls whose ACK has not gone out yet: ACKs are batched into runs (§10a). */
    final long[] pendingAcks = new long[ControlHeader.MAX_ACK_RUN];
    int pendingAckCount;

    Peer(InetSocketAddress address, SendProtection send, ReceiveProtection receive, CipherSuite suite, int replayWindow) {
        this.address = address;
        this.send = send;
        this.receive = receive;
        this.suite = suite;
        this.plaintextRequests = send == null ? new ReplayWindow(replayWindow) : null;
    }

    boolean encrypted() {
        return send != null;
    }

    int openRpcs() {
        return clientRpcs.size() + serverRpcs.size();
    }
}
