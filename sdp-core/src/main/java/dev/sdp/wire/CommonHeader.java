package dev.sdp.wire;

import java.nio.ByteBuffer;

/**
 * The 10 bytes every SDP packet starts with (docs/PROTOCOL.md §2.1). Subclasses are mutable
 * flyweights: one instance is reused for every packet a thread encodes or decodes, so the packet
 * path allocates nothing. All multi-byte fields are big-endian and read at absolute offsets from
 * the buffer's position, which neither call moves.
 */
public abstract sealed class CommonHeader permits DataHeader, ControlHeader, HandshakeHeader {
    /** The only protocol version defined so far. */
    public static final int VERSION = 1;
    /** Size of the common part. */
    public static final int LENGTH = 10;
    /** Flag: this DATA packet is a retransmission. */
    public static final int FLAG_RETRANSMIT = 0x01;
    /** Flag: the packet belongs to a plaintext (unencrypted baseline) session. */
    public static final int FLAG_PLAINTEXT = 0x02;
    /**
     * Flag: this DATA packet belongs to an error response, in plaintext mode only (an encrypted
     * error response says so inside its last record, where it is authenticated; there the flag is ignored).
     */
    public static final int FLAG_ERROR = 0x04;
    /** Largest value of the 48-bit message ID field. */
    public static final long MAX_MESSAGE_ID = (1L << 48) - 1;

    static final int OFF_VERSION = 0;
    static final int OFF_TYPE = 1;
    static final int OFF_FLAGS = 2;
    static final int OFF_EPOCH = 3;
    static final int OFF_MESSAGE_ID = 4;
    static final int KNOWN_FLAGS = FLAG_RETRANSMIT | FLAG_PLAINTEXT | FLAG_ERROR;

    /** Flag bits, see {@link #FLAG_RETRANSMIT} and {@link #FLAG_PLAINTEXT}. */
    public int flags;
    /** Low 8 bits of the key epoch the packet is protected under. */
    public int epoch;
    /** 48-bit message ID; bit 0 is the role bit (0 request, 1 response). */
    public long messageId;

    /** The type this header encodes. */
    public abstract PacketType type();

    /** Bytes this header occupies on the wire, before any payload. */
    public abstract int length();

    /** The packet type of a datagram, or null when it is too short, of another version or of an unknown type. */
    public static PacketType peekType(ByteBuffer packet) {
        int p = packet.position();
        if (packet.remaining() < LENGTH || (packet.get(p + OFF_VERSION) & 0xFF) != VERSION) {
            return null;
        }
        return PacketType.fromCode(packet.get(p + OFF_TYPE));
    }

    /** Whether a datagram is of this version and carries the PLAINTEXT flag (without checking the rest). */
    public static boolean peekPlaintext(ByteBuffer packet) {
        int p = packet.position();
        return packet.remaining() >= LENGTH && (packet.get(p + OFF_VERSION) & 0xFF) == VERSION
                && (packet.get(p + OFF_FLAGS) & FLAG_PLAINTEXT) != 0;
    }

    /** Writes the header at the buffer's position; the position does not move. */
    public final void encode(ByteBuffer out) {
        if (out.remaining() < length()) {
            throw new IllegalArgumentException("buffer too small for " + type() + " header");
        }
        if (messageId < 0 || messageId > MAX_MESSAGE_ID) {
            throw new IllegalArgumentException("message ID does not fit 48 bits: " + messageId);
        }
        int p = out.position();
        out.put(p + OFF_VERSION, (byte) VERSION);
        out.put(p + OFF_TYPE, (byte) type().code());
        out.put(p + OFF_FLAGS, (byte) flags);
        out.put(p + OFF_EPOCH, (byte) epoch);
        putU48(out, p + OFF_MESSAGE_ID, messageId);
        encodeBody(out, p);
    }

    /**
     * Reads the header at the buffer's position; the position does not move.
     *
     * @return false when the bytes are not a well-formed header of this type (the fields are then undefined)
     */
    public final boolean decode(ByteBuffer in) {
        int p = in.position();
        if (in.remaining() < length()
                || (in.get(p + OFF_VERSION) & 0xFF) != VERSION
                || (in.get(p + OFF_TYPE) & 0xFF) != type().code()) {
            return false;
        }
        flags = in.get(p + OFF_FLAGS) & 0xFF;
        epoch = in.get(p + OFF_EPOCH) & 0xFF;
        messageId = getU48(in, p + OFF_MESSAGE_ID);
        return (flags & ~KNOWN_FLAGS) == 0 && decodeBody(in, p);
    }

    abstract void encodeBody(ByteBuffer out, int start);

    abstract boolean decodeBody(ByteBuffer in, int start);

    static void putU48(ByteBuffer b, int at, long v) {
        b.putShort(at, (short) (v >>> 32));
        b.putInt(at + 2, (int) v);
    }

    static long getU48(ByteBuffer b, int at) {
        return ((b.getShort(at) & 0xFFFFL) << 32) | (b.getInt(at + 2) & 0xFFFFFFFFL);
    }
}
