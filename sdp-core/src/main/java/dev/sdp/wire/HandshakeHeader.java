package dev.sdp.wire;

import java.nio.ByteBuffer;

/**
 * Header of a HANDSHAKE packet (docs/PROTOCOL.md §2.4): a fragment of one flight of TLS 1.3
 * handshake records, sent in plaintext like TLS's own handshake records.
 */
public final class HandshakeHeader extends CommonHeader {
    /** Header length; the fragment starts right after it. */
    public static final int LENGTH = 24;

    /** Random value the client picks per handshake attempt and the server echoes; never 0. */
    public int handshakeNonce;
    /** Flight number within this handshake attempt, from 0. */
    public int flight;
    /** Total bytes of the flight. */
    public long flightLength;
    /** Offset of this fragment within the flight. */
    public long fragmentOffset;

    @Override
    public PacketType type() {
        return PacketType.HANDSHAKE;
    }

    @Override
    public int length() {
        return LENGTH;
    }

    @Override
    void encodeBody(ByteBuffer out, int p) {
        out.putInt(p + 10, handshakeNonce);
        out.putShort(p + 14, (short) flight);
        out.putInt(p + 16, (int) flightLength);
        out.putInt(p + 20, (int) fragmentOffset);
    }

    @Override
    boolean decodeBody(ByteBuffer in, int p) {
        handshakeNonce = in.getInt(p + 10);
        flight = in.getShort(p + 14) & 0xFFFF;
        flightLength = in.getInt(p + 16) & 0xFFFFFFFFL;
        fragmentOffset = in.getInt(p + 20) & 0xFFFFFFFFL;
        return handshakeNonce != 0 && epoch == 0 && messageId == 0 && fragmentOffset <= flightLength;
    }
}
