package dev.sdp.transport;

import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.wire.DataHeader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The sender's side of SRPT (docs/PROTOCOL.md §10a, Homa's rule): of the messages with a packet
 * ready to go (a requested retransmission, or sealed bytes within the grant), the one with the
 * fewest protected bytes left to send goes first. A heap keyed by bytes left: only the message
 * at the top sends, and sending only lowers its own key, so the order holds without re-sorting.
 * A message that cannot send (waiting for a grant or for sealing) leaves the queue and comes
 * back through {@link #add} when a GRANT, RESEND or sealed segment makes it sendable.
 */
final class SendQueue {
    private final RpcHeap heap = new RpcHeap(RpcHeap.SEND_QUEUE, rpc -> rpc.outgoing.remaining());
    private final DataHeader header = new DataHeader();
    private final TransportStats stats;
    private final long unscheduledBytes;

    SendQueue(TransportStats stats, long unscheduledBytes) {
        this.stats = stats;
        this.unscheduledBytes = unscheduledBytes;
    }

    /** Queues the RPC's outgoing message if it has a packet ready and is not queued yet. */
    void add(Rpc rpc) {
        if (!heap.contains(rpc) && rpc.outgoing != null && rpc.outgoing.hasSendable()) {
            heap.add(rpc);
        }
    }

    /** Takes an RPC that leaves the engine out of the queue. */
    void remove(Rpc rpc) {
        heap.remove(rpc);
    }

    void clear() {
        heap.clear();
    }

    /** Writes the next DATA packet at {@code out}'s position and returns its destination, or null when none is ready. */
    InetSocketAddress poll(ByteBuffer out) {
        Rpc best;
        while ((best = heap.peek()) != null && !best.outgoing.hasSendable()) {
            heap.poll();
        }
        if (best == null) {
            return null;
        }
        OutgoingMessage m = best.outgoing;
        boolean wasSent = m.fullySent();
        m.writeNext(out, header, unscheduledBytes, stats);
        if (!wasSent && m.fullySent()) {
            stats.increment(Counter.MESSAGES_SENT);
        }
        return best.peer.address;
    }
}
