package dev.sdp.wire;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Header of a HANDSHAKE packet (docs/PROTOCOL.md §2.4): a fragment of one flight of TLS 1.3
 * handshake records, sent in plaintext like TLS's own handshake records, with a CRC32C over the
 * whole datagram so that a fragment damaged on the way never reaches the TLS engine (which would
 * fail the handshake on it): link corruption, not forgery, is what the checksum is for.
 */
public final class HandshakeHeader extends CommonHeader {
    /** Header length; the fragment starts right after it. */
    public static final int LENGTH = 28;
    private static final int CHECKSUM_OFFSET = 24;
    private static final byte[] ZEROS = new byte[4];

    /** Random value the client picks per handshake attempt and the server echoes; never 0. */
    public int handshakeNonce;
    /** Flight number within this handshake attempt, from 0. */
    public int flight;
    /** Total bytes of the flight. */
    public long flightLength;
    /** Offset of this fragment within the flight. */
    public long fragmentOffset;
    /** CRC32C of the datagram with this field zero, as received; written by {@link #sealChecksum}. */
    public int checksum;

    /**
     * Writes the CRC32C of {@code datagram} (a whole HANDSHAKE packet, position to limit, its header
     * encoded) into the header's checksum field.
     */
    public static void sealChecksum(ByteBuffer datagram) {
        int p = datagram.position();
        datagram.putInt(p + CHECKSUM_OFFSET, checksum(datagram));
    }

    /** Whether {@code datagram} (position to limit) carries the CRC32C of its own bytes. */
    public static boolean checksumMatches(ByteBuffer datagram) {
        int p = datagram.position();
        return datagram.remaining() >= LENGTH && datagram.getInt(p + CHECKSUM_OFFSET) == checksum(datagram);
    }

    /** CRC32C of the datagram with its checksum field taken as zero. */
    private static int checksum(ByteBuffer datagram) {
        int p = datagram.position();
        CRC32C crc = new CRC32C();
        crc.update(datagram.duplicate().limit(p + CHECKSUM_OFFSET));
        crc.update(ZEROS);
        crc.update(datagram.duplicate().position(p + LENGTH));
        return (int) crc.getValue();
    }

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
        out.putInt(p + CHECKSUM_OFFSET, checksum);
    }

    @Override
    boolean decodeBody(ByteBuffer in, int p) {
        handshakeNonce = in.getInt(p + 10);
        flight = in.getShort(p + 14) & 0xFFFF;
        flightLength = in.getInt(p + 16) & 0xFFFFFFFFL;
        fragmentOffset = in.getInt(p + 20) & 0xFFFFFFFFL;
        checksum = in.getInt(p + CHECKSUM_OFFSET);
        return handshakeNonce != 0 && epoch == 0 && messageId == 0 && fragmentOffset <= flightLength;
    }
}
