package dev.sdp.wire;

import java.nio.ByteBuffer;

/** Header of a DATA packet (docs/PROTOCOL.md §2.2): where the payload sits in its message. */
public final class DataHeader extends CommonHeader {
    /** Header length; the payload starts right after it. */
    public static final int LENGTH = 26;
    /** Smallest stride a receiver accepts, which bounds packets per segment. */
    public static final int MIN_STRIDE = 256;

    /** Plaintext length of the whole message. */
    public long messageLength;
    /** Plaintext offset of this packet's segment in the message: a multiple of the segment size. */
    public long segmentOffset;
    /** Index of this packet within its segment. */
    public int packetIndex;
    /** Protected bytes per packet for this message; the payload starts at packetIndex * stride in the protected segment. */
    public int stride;
    /** Protected bytes of this message the sender sends without waiting for a grant. */
    public long unscheduled;

    @Override
    public PacketType type() {
        return PacketType.DATA;
    }

    @Override
    public int length() {
        return LENGTH;
    }

    @Override
    void encodeBody(ByteBuffer out, int p) {
        out.putInt(p + 10, (int) messageLength);
        out.putInt(p + 14, (int) segmentOffset);
        out.putShort(p + 18, (short) packetIndex);
        out.putShort(p + 20, (short) stride);
        out.putInt(p + 22, (int) unscheduled);
    }

    @Override
    boolean decodeBody(ByteBuffer in, int p) {
        messageLength = in.getInt(p + 10) & 0xFFFFFFFFL;
        segmentOffset = in.getInt(p + 14) & 0xFFFFFFFFL;
        packetIndex = in.getShort(p + 18) & 0xFFFF;
        stride = in.getShort(p + 20) & 0xFFFF;
        unscheduled = in.getInt(p + 22) & 0xFFFFFFFFL;
        return messageLength <= MessageLayout.MAX_MESSAGE_LENGTH
                && segmentOffset % MessageLayout.SEGMENT_SIZE == 0
                && (segmentOffset < messageLength || segmentOffset == 0)
                && stride >= MIN_STRIDE;
    }
}
