package dev.sdp.transport;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.ReceiveProtection;
import dev.sdp.crypto.ReplayWindow;
import dev.sdp.crypto.SendProtection;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The other end of a session: its keys (absent in plaintext mode) and the RPCs open with it, one
 * table per role. A message ID's role bit (docs/PROTOCOL.md §2.1: 0 request, 1 response) says
 * which table holds its RPC, depending on whether this side sends or receives the message.
 */
final class Peer {
    final InetSocketAddress address;
    /** Unique per session of this engine: tells a session from the one that replaces it at the same address. */
    final long sessionId;
    final SendProtection send;
    final ReceiveProtection receive;
    final CipherSuite suite;
    /** Replay window over request IDs in plaintext mode, where no record authenticates. */
    final ReplayWindow plaintextRequests;
    /**
     * RPC IDs start at a random point below 2^46, leaving 2^46 to count up: a process that restarts
     * and is given the same secrets again (which it should not be) then reuses no record nonce
     * unless the two runs' ID ranges happen to overlap.
     */
    final AtomicLong nextRpcId = new AtomicLong(1 + ThreadLocalRandom.current().nextLong(1L << 46));
    final RpcTable clientRpcs = new RpcTable();
    final RpcTable serverRpcs = new RpcTable();
    /** Bytes charged for this peer's messages that have not authenticated; written only by {@link ReceiveBudget}. */
    long unauthenticatedBytes;
    /** Bytes charged for reassembling this peer's authenticated messages; written only by {@link ReceiveBudget}. */
    long reassemblyBytes;
    /** When a packet from the peer last authenticated (or the session was installed). */
    volatile long lastAuthenticatedNanos = Long.MIN_VALUE / 2;
    /** Bytes of control packets this side may still send the peer; owned by {@link ControlQueue}. */
    long controlCredit = ControlQueue.INITIAL_CREDIT;
    /**
     * Why the session must end, once set by {@link Peers#endLater} (a key exhausted, the integrity
     * limit); nothing more is sent to it meanwhile.
     */
    TransportStats.Counter ending;
    /** Round trips measured with this peer; owned by {@link LossRecovery} and {@link Incoming}. */
    final RttEstimator rtt = new RttEstimator();
    /** Owned by {@link AckBatcher}. */
    final AckBatcher.PendingAcks pendingAcks = new AckBatcher.PendingAcks();

    Peer(InetSocketAddress address, long sessionId, SendProtection send, ReceiveProtection receive, CipherSuite suite,
         int replayWindow) {
        this.address = address;
        this.sessionId = sessionId;
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

    /** The RPC on this side that sends message {@code messageId} (our request or our response), or null. */
    Rpc sending(long messageId) {
        return (messageId & 1) == 0 ? clientRpcs.get(messageId >>> 1) : serverRpcs.get(messageId >>> 1);
    }

    /** The RPC on this side that receives message {@code messageId} (a request to us or a response to our call), or null. */
    Rpc receiving(long messageId) {
        return (messageId & 1) == 0 ? serverRpcs.get(messageId >>> 1) : clientRpcs.get(messageId >>> 1);
    }
}
