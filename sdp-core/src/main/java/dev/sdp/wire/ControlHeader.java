package dev.sdp.wire;

import java.nio.ByteBuffer;

/**
 * A control packet: GRANT, RESEND, ACK, NEED_ACK, BUSY or UNKNOWN (docs/PROTOCOL.md §2.3). All
 * share one layout; {@link #offset} and {@link #length} carry the grant or resend range and are
 * zero for the other types. The packet ends with a 16-byte tag over everything before it.
 */
public final class ControlHeader extends CommonHeader {
    /** Bytes before the tag: the additional data the tag authenticates. */
    public static final int AUTHENTICATED_LENGTH = 26;
    /** Size of the control tag. */
    public static final int TAG_LENGTH = 16;
    /** Whole control packet. */
    public static final int LENGTH = AUTHENTICATED_LENGTH + TAG_LENGTH;
    /** Offset of the tag from the start of the packet. */
    public static final int TAG_OFFSET = AUTHENTICATED_LENGTH;

    private PacketType type = PacketType.GRANT;
    /** GRANT: protected bytes the sender may send up to; RESEND: first protected byte wanted. */
    public long offset;
    /** RESEND: number of protected bytes wanted. */
    public long length;
    /** Per-direction, per-epoch control packet number: the control nonce and replay counter. */
    public long packetNumber;

    /** Sets the control type this header encodes. */
    public ControlHeader type(PacketType controlType) {
        if (!controlType.isControl()) {
            throw new IllegalArgumentException(controlType + " is not a control packet type");
        }
        this.type = controlType;
        return this;
    }

    @Override
    public PacketType type() {
        return type;
    }

    @Override
    public int length() {
        return LENGTH;
    }

    /** Reads a control packet of any control type; false when malformed. */
    public boolean decodeAny(ByteBuffer in) {
        PacketType t = peekType(in);
        if (t == null || !t.isControl()) {
            return false;
        }
        type = t;
        return decode(in);
    }

    @Override
    void encodeBody(ByteBuffer out, int p) {
        out.putInt(p + 10, (int) offset);
        out.putInt(p + 14, (int) length);
        out.putLong(p + 18, packetNumber);
    }

    @Override
    boolean decodeBody(ByteBuffer in, int p) {
        offset = in.getInt(p + 10) & 0xFFFFFFFFL;
        length = in.getInt(p + 14) & 0xFFFFFFFFL;
        packetNumber = in.getLong(p + 18);
        boolean rangeAllowed = type == PacketType.GRANT || type == PacketType.RESEND;
        return (rangeAllowed || (offset == 0 && length == 0))
                && (type == PacketType.RESEND || length == 0)
                && (flags & FLAG_RETRANSMIT) == 0;
    }
}
