package dev.sdp.transport;

import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.DataHeader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Builds the engine's parts by hand for the unit tests of one mechanism, in plaintext mode. */
final class Mechanisms {
    static final int STRIDE = TransportConfig.defaults().stride();

    private Mechanisms() {
    }

    /** A control queue on its own, as the mechanisms under test use it. */
    static ControlQueue controlQueue(TransportStats stats) {
        return new ControlQueue(stats, new Peers());
    }

    static Peer peer(int port) {
        return new Peer(new InetSocketAddress("127.0.0.1", port), port, null, null, null, 64);
    }

    /** A server RPC receiving a request of {@code length} bytes whose first packet announced {@code unscheduled}. */
    static Rpc receiving(Peer peer, long rpcId, long length, long unscheduled) {
        Rpc rpc = new Rpc(peer, rpcId, false, null, 0);
        rpc.incoming = new IncomingMessage(dataHeader(rpcId << 1, length, 0, 0, unscheduled), peer,
                new ReceiveBudget(TransportConfig.defaults()), 0);
        peer.serverRpcs.add(rpc);
        return rpc;
    }

    static DataHeader dataHeader(long messageId, long length, long segmentOffset, int packetIndex, long unscheduled) {
        DataHeader h = new DataHeader();
        h.flags = CommonHeader.FLAG_PLAINTEXT;
        h.messageId = messageId;
        h.messageLength = length;
        h.segmentOffset = segmentOffset;
        h.packetIndex = packetIndex;
        h.stride = STRIDE;
        h.unscheduled = unscheduled;
        return h;
    }

    /**
     * A forged encrypted DATA packet (never authenticates): {@code stride} random payload bytes at
     * (segment offset, packet index) of a message of {@code length}.
     */
    static byte[] forgedData(java.util.Random random, long messageId, long length, long segmentOffset, int packetIndex, int stride) {
        DataHeader h = new DataHeader();
        h.messageId = messageId;
        h.messageLength = length;
        h.segmentOffset = segmentOffset;
        h.packetIndex = packetIndex;
        h.stride = stride;
        h.unscheduled = length;
        ByteBuffer packet = ByteBuffer.allocate(DataHeader.LENGTH + stride);
        random.nextBytes(packet.array());
        h.encode(packet);
        return packet.array();
    }

    /** Everything the queue holds, decoded, in order. */
    static List<ControlHeader> drain(ControlQueue control) {
        List<ControlHeader> packets = new ArrayList<>();
        ByteBuffer out = ByteBuffer.allocate(ControlHeader.LENGTH);
        while (control.poll(out.clear()) != null) {
            ControlHeader h = new ControlHeader();
            if (!h.decodeAny(out.flip())) {
                throw new AssertionError("queued a malformed control packet");
            }
            packets.add(h);
        }
        return packets;
    }
}
