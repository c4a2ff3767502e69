package dev.sdp.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fuzzes the wire header decoders with arbitrary bytes: {@link CommonHeader#peekType},
 * {@link DataHeader}, {@link ControlHeader#decodeAny} and {@link HandshakeHeader}, each read at a
 * fuzzer-chosen position in the buffer, since every field is read at an absolute offset from it.
 *
 * <p>Invariants: nothing throws; decoding moves neither position nor limit; a header decodes only
 * when {@code peekType} names its type; whatever decodes re-encodes to the same header bytes
 * ({@link CommonHeader#length()} bytes, except that a control header's 16-byte tag is not part of
 * what it encodes, so only its {@link ControlHeader#AUTHENTICATED_LENGTH} bytes are compared). There
 * is no other canonical form to document: every bit of a header is either a field kept at full
 * width or checked (the version, the type, unknown flags), so no two accepted encodings decode to
 * the same fields; and the fields of a decoded DATA header are safe to hand to {@link MessageLayout}.
 */
class HeaderFuzzTest {
    private final DataHeader data = new DataHeader();
    private final ControlHeader control = new ControlHeader();
    private final HandshakeHeader handshake = new HandshakeHeader();

    @FuzzTest
    void decodersNeverThrowAndRoundTrip(byte[] input) {
        // The low bits of the first byte pick where the packet starts, so the decoders see non-zero positions.
        int offset = input.length == 0 ? 0 : (input[0] & 3);
        if (offset >= input.length) {
            offset = 0;
        }
        ByteBuffer packet = ByteBuffer.wrap(input, offset, input.length - offset);
        PacketType type = CommonHeader.peekType(packet);
        if (type != null) {
            assertEquals(type.code(), input[offset + 1] & 0xFF);
        }
        boolean plaintext = CommonHeader.peekPlaintext(packet);

        if (data.decode(packet)) {
            assertEquals(PacketType.DATA, type);
            assertRoundTrip(data, input, offset, DataHeader.LENGTH);
            assertTrue(MessageLayout.segmentProtectedLength(data.messageLength, data.segmentOffset, !plaintext) >= 0);
            assertTrue(MessageLayout.protectedSegmentStart(data.segmentOffset, !plaintext)
                    <= MessageLayout.protectedLength(data.messageLength, !plaintext));
        }
        unmoved(packet, offset, input.length);
        if (control.decodeAny(packet)) {
            assertTrue(type != null && type.isControl() && control.type() == type);
            assertRoundTrip(control, input, offset, ControlHeader.AUTHENTICATED_LENGTH);
        }
        unmoved(packet, offset, input.length);
        if (handshake.decode(packet)) {
            assertEquals(PacketType.HANDSHAKE, type);
            assertRoundTrip(handshake, input, offset, HandshakeHeader.LENGTH);
        }
        unmoved(packet, offset, input.length);
    }

    private static void unmoved(ByteBuffer packet, int position, int limit) {
        assertEquals(position, packet.position());
        assertEquals(limit, packet.limit());
    }

    /** Encodes {@code header} at the same position of a fresh buffer and compares {@code compared} bytes. */
    private static void assertRoundTrip(CommonHeader header, byte[] input, int offset, int compared) {
        ByteBuffer out = ByteBuffer.allocate(offset + header.length());
        out.position(offset);
        header.encode(out);
        assertEquals(offset, out.position());
        assertArrayEquals(Arrays.copyOfRange(input, offset, offset + compared), Arrays.copyOfRange(out.array(), offset, offset + compared),
                header.type() + " header does not re-encode to its bytes");
    }
}
