package dev.sdp.transport;

import dev.sdp.crypto.RecordCrypter;
import dev.sdp.crypto.SendProtection;
import dev.sdp.transport.TransportStats.Counter;
import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.PacketType;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Control packets waiting to go out (docs/PROTOCOL.md §2.3, §6): built, tagged under the
 * session's control key with the next control packet number, and counted by type, in one place.
 * They are sealed when queued, not when sent, so the packet number order is the queue order;
 * slots are recycled, so control traffic allocates nothing in steady state. Control packets go
 * out before data ({@link Engine#pollTransmit}): they are small and unblock whole messages.
 *
 * <p>What a peer can make this side send it is bounded as QUIC bounds an unvalidated address (RFC
 * 9000 §8.1): each peer has a control credit of {@value #CREDIT_PER_BYTE_RECEIVED} bytes per byte
 * received from it (plus a small start, saved up to a cap), and a control packet the credit does
 * not cover is dropped and counted. Legitimate traffic always earns more than it needs: control
 * packets answer data, or are rare.
 */
final class ControlQueue {
    private static final class Slot {
        final ControlBytes packet = new ControlBytes();
        InetSocketAddress to;
    }

    static final int CREDIT_PER_BYTE_RECEIVED = 3;
    /** Credit a session starts with: a few control packets before the peer has sent anything. */
    static final long INITIAL_CREDIT = 16L * ControlHeader.LENGTH;
    private static final long MAX_CREDIT = 1L << 20;

    private final TransportStats stats;
    private final Peers peers;
    private final ArrayDeque<Slot> queue = new ArrayDeque<>();
    private final ArrayDeque<Slot> free = new ArrayDeque<>();
    private final ControlHeader header = new ControlHeader();

    ControlQueue(TransportStats stats, Peers peers) {
        this.stats = stats;
        this.peers = peers;
    }

    /** {@code bytes} arrived from {@code peer}: it earns control credit. */
    void received(Peer peer, int bytes) {
        peer.controlCredit = Math.min(MAX_CREDIT, peer.controlCredit + (long) CREDIT_PER_BYTE_RECEIVED * bytes);
    }

    /**
     * Builds, seals and queues one control packet to {@code peer}, if its credit allows. A send key
     * exhausted beyond its hard limit (the peer kept old messages open) marks the session for ending.
     */
    void queue(Peer peer, PacketType type, long messageId, long offset, long length) {
        if (peer.controlCredit < ControlHeader.LENGTH) {
            stats.increment(Counter.CONTROL_BUDGET_DROPPED);
            return;
        }
        if (peer.ending != null && type != PacketType.CLOSE) {
            return; // a session being ended sends nothing more, but says so
        }
        SendProtection.SendEpoch epoch = null;
        if (peer.encrypted()) {
            try {
                epoch = peer.send.reserve(1);
            } catch (IllegalStateException exhausted) {
                peers.endLater(peer, Counter.SESSIONS_KEY_EXHAUSTED);
                return;
            }
        }
        peer.controlCredit -= ControlHeader.LENGTH;
        Slot slot = free.isEmpty() ? new Slot() : free.poll();
        ControlHeader h = header.type(type);
        h.messageId = messageId;
        h.offset = offset;
        h.length = length;
        ByteBuffer packet = slot.packet.whole.clear();
        if (epoch != null) {
            h.flags = 0;
            h.epoch = epoch.keys().wireEpoch();
            h.packetNumber = epoch.nextControlPacketNumber();
            h.encode(packet);
            peer.send.sealControl(RecordCrypter.forCurrentThread(peer.suite), epoch, h.packetNumber,
                    slot.packet.authenticated(), slot.packet.tag());
        } else {
            h.flags = CommonHeader.FLAG_PLAINTEXT;
            h.epoch = 0;
            h.packetNumber = 0;
            h.encode(packet);
            Arrays.fill(slot.packet.bytes, ControlHeader.TAG_OFFSET, ControlHeader.LENGTH, (byte) 0);
        }
        stats.increment(counterFor(type));
        if (type == PacketType.RESEND) {
            ResendEvent.report(peer, messageId, offset, length, true);
        }
        slot.to = peer.address;
        queue.add(slot);
    }

    /** Writes the next queued control packet at {@code out}'s position and returns its destination, or null. */
    InetSocketAddress poll(ByteBuffer out) {
        Slot slot = queue.poll();
        if (slot == null) {
            return null;
        }
        out.put(slot.packet.bytes);
        free.add(slot);
        return slot.to;
    }

    private static Counter counterFor(PacketType type) {
        return switch (type) {
            case GRANT -> Counter.GRANTS_SENT;
            case RESEND -> Counter.RESENDS_SENT;
            case ACK -> Counter.ACKS_SENT;
            case NEED_ACK -> Counter.NEED_ACKS_SENT;
            case BUSY -> Counter.BUSY_SENT;
            case UNKNOWN -> Counter.UNKNOWN_SENT;
            case CLOSE -> Counter.CLOSES_SENT;
            default -> throw new IllegalArgumentException(type + " is not a control packet type");
        };
    }
}
