package dev.sdp.transport;

import dev.sdp.transport.TransportStats.Counter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * How RPCs end, in one place, and the events that tell the application: a response delivered, a
 * request delivered, a call failed. Whatever removes an RPC goes through {@link #close}, which
 * releases everything the RPC held in every mechanism (its table entry, its incoming message's memory,
 * its grant slot, its place in the send queue, its outgoing message's key epoch), so no mechanism
 * keeps a stale reference and a freed grant slot is re-granted at once.
 *
 * @param <A> the type of the attachments calls are submitted with
 */
final class RpcLifecycle<A> {
    private final ArrayDeque<EngineEvent<A>> events = new ArrayDeque<>();
    private final TransportStats stats;
    private final GrantScheduler grants;
    private final SendQueue sendQueue;
    private final AckBatcher acks;

    RpcLifecycle(TransportStats stats, GrantScheduler grants, SendQueue sendQueue, AckBatcher acks) {
        this.stats = stats;
        this.grants = grants;
        this.sendQueue = sendQueue;
        this.acks = acks;
    }

    EngineEvent<A> pollEvent() {
        return events.poll();
    }

    /** A call that never became an RPC (refused at submission) fails with {@code error}. */
    void refuse(A attachment, RpcException error) {
        events.add(new EngineEvent.CallFailed<>(attachment, error));
    }

    /** The RPC's incoming message is complete: a response ends the call, a request goes to the application. */
    void delivered(Rpc rpc, IncomingMessage message, long now) {
        stats.increment(Counter.MESSAGES_RECEIVED);
        ByteBuffer payload = message.takePayload();
        rpc.receivedBytes = message.length;
        if (rpc.client) {
            if (message.isError()) {
                rpc.outcome = "remote_error";
            }
            close(rpc, true);
            if (message.isError()) {
                stats.increment(Counter.RPCS_FAILED);
                stats.increment(Counter.ERROR_RESPONSES_RECEIVED);
                events.add(new EngineEvent.CallFailed<>(attachment(rpc), new RpcException(RpcException.Reason.REMOTE_ERROR,
                        rpc.peer.address + " could not serve the request: " + StandardCharsets.UTF_8.decode(payload))));
            } else {
                stats.increment(Counter.RPCS_COMPLETED);
                events.add(new EngineEvent.CallCompleted<>(attachment(rpc), payload));
            }
            acks.defer(rpc.peer, rpc.rpcId, now);
        } else {
            release(rpc);
            rpc.serverState = Rpc.ServerState.EXECUTING;
            stats.increment(Counter.REQUESTS_DELIVERED);
            events.add(new EngineEvent.RequestReceived<>(rpc.peer.address, new ServerCall(rpc), payload));
        }
    }

    /** Ends the RPC with {@code error}: a call fails; a server RPC is dropped. */
    void fail(Rpc rpc, RpcException error) {
        rpc.outcome = error.reason().name().toLowerCase(Locale.ROOT);
        close(rpc, false);
        if (rpc.client) {
            stats.increment(Counter.RPCS_FAILED);
            events.add(new EngineEvent.CallFailed<>(attachment(rpc), error));
        }
    }

    /**
     * Removes the RPC and releases what it holds; {@code delivered} when the peer is known to have
     * its outgoing message (its key epoch may then move on).
     */
    void close(Rpc rpc, boolean delivered) {
        rpc.table().removeIfPresent(rpc);
        release(rpc);
        sendQueue.remove(rpc);
        if (rpc.outgoing != null) {
            rpc.outgoing.retire(delivered);
        }
        if (rpc.event != null) {
            report(rpc, delivered);
        }
    }

    private static void report(Rpc rpc, boolean delivered) {
        RpcEvent e = rpc.event;
        rpc.event = null;
        e.end();
        if (e.shouldCommit()) {
            long sent = rpc.outgoing != null ? rpc.outgoing.length : 0;
            e.peer = rpc.peer.address.toString();
            e.rpcId = rpc.rpcId;
            e.client = rpc.client;
            e.requestBytes = rpc.client ? sent : rpc.receivedBytes;
            e.responseBytes = rpc.client ? rpc.receivedBytes : sent;
            e.retransmittedPackets = rpc.outgoing != null ? rpc.outgoing.retransmittedPackets : 0;
            e.outcome = rpc.outcome != null ? rpc.outcome : delivered ? "completed" : "dropped";
            e.commit();
        }
    }

    /** Drops what the RPC holds of its incoming message (discarded, or the peer says it has no such RPC). */
    void release(Rpc rpc) {
        grants.withdraw(rpc);
        if (rpc.incoming != null) {
            rpc.incoming.releaseMemory();
            rpc.incoming = null;
        }
        // A freed slot or freed memory may let a waiting message be granted now.
        grants.schedule();
    }

    /** The engine ended a session by itself: tell the application, so it can replace it. */
    void sessionEnded(Peer peer, RpcException reason) {
        endPeer(peer, reason);
        events.add(new EngineEvent.SessionEnded<>(peer.address, reason));
    }

    /** Ends every RPC with a peer whose session ended: calls fail with {@code error}. */
    void endPeer(Peer peer, RpcException error) {
        // Withdraw first, so the slots these RPCs free are granted once, and not to each other.
        for (RpcTable table : new RpcTable[] {peer.clientRpcs, peer.serverRpcs}) {
            for (int i = 0; i < table.size(); i++) {
                grants.withdraw(table.at(i));
            }
            for (int i = table.size() - 1; i >= 0; i--) {
                fail(table.at(i), error);
            }
        }
        acks.forget(peer);
        grants.schedule();
    }

    @SuppressWarnings("unchecked")
    private A attachment(Rpc rpc) {
        // Only submitCall creates client RPCs, always with an A.
        return (A) rpc.attachment;
    }
}
