package dev.sdp.wire;

import java.nio.ByteBuffer;

/**
 * A control packet: GRANT, RESEND, ACK, NEED_ACK, BUSY, UNKNOWN or CLOSE (docs/PROTOCOL.md §2.3). All
 * share one layout; {@link #offset} and {@link #length} carry the grant or resend range, ACK's
 * length counts the RPCs it acknowledges, and both are zero for the other types. The packet ends with a 16-byte tag over everything before it.
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
    /** Most RPCs one ACK acknowledges (its {@link #length}: consecutive RPC IDs from the one it names). */
    public static final int MAX_ACK_RUN = 64;

    private PacketType type = PacketType.GRANT;
    /** GRANT: protected bytes the sender may send up to; RESEND: first protected byte wanted. */
    public long offset;
    /** RESEND: number of protected bytes wanted; ACK: number of consecutive RPCs acknowledged. */
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
        boolean offsetValid = offset == 0 || type == PacketType.GRANT || type == PacketType.RESEND;
        boolean lengthValid = switch (type) {
            case RESEND -> true;
            case ACK -> length >= 1 && length <= MAX_ACK_RUN;
            default -> length == 0;
        };
        return offsetValid && lengthValid && (flags & FLAG_RETRANSMIT) == 0;
    }
}
