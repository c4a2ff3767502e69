package dev.sdp.wire;

/** The SDP packet types and their one-byte wire codes (docs/PROTOCOL.md §2). */
public enum PacketType {
    DATA(0x01),
    GRANT(0x02),
    RESEND(0x03),
    ACK(0x04),
    NEED_ACK(0x05),
    BUSY(0x06),
    UNKNOWN(0x07),
    HANDSHAKE(0x08),
    CLOSE(0x09);

    private static final PacketType[] BY_CODE = new PacketType[256];

    static {
        for (PacketType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    PacketType(int code) {
        this.code = code;
    }

    /** The byte that identifies this type on the wire. */
    public int code() {
        return code;
    }

    /** True for the packet types that carry a control tag (docs/PROTOCOL.md §6). */
    public boolean isControl() {
        return this != DATA && this != HANDSHAKE;
    }

    /** The type for a wire code, or null when the code is not assigned. */
    public static PacketType fromCode(int code) {
        return BY_CODE[code & 0xFF];
    }
}
