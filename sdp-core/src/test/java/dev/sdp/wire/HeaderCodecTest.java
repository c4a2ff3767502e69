package dev.sdp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** Encoding and decoding of the packet headers, and rejection of malformed ones. */
class HeaderCodecTest {

    @Property(tries = 300)
    void dataHeaderRoundTrips(@ForAll @LongRange(min = 0, max = (1L << 48) - 1) long messageId,
                              @ForAll @LongRange(min = 1, max = 1L << 30) long length,
                              @ForAll @IntRange(min = 0, max = 0xFFFF) int index,
                              @ForAll @IntRange(min = DataHeader.MIN_STRIDE, max = 0xFFFF) int stride,
                              @ForAll @LongRange(min = 0, max = 0xFFFFFFFFL) long unscheduled,
                              @ForAll @IntRange(min = 0, max = 255) int epoch,
                              @ForAll boolean retransmit) {
        DataHeader h = new DataHeader();
        h.messageId = messageId;
        h.messageLength = length;
        h.segmentOffset = (length - 1) / MessageLayout.SEGMENT_SIZE * MessageLayout.SEGMENT_SIZE;
        h.packetIndex = index;
        h.stride = stride;
        h.unscheduled = unscheduled;
        h.epoch = epoch;
        h.flags = retransmit ? CommonHeader.FLAG_RETRANSMIT : 0;
        ByteBuffer buf = ByteBuffer.allocate(64).position(7);
        h.encode(buf);
        assertEquals(7, buf.position(), "encode does not move the position");
        assertEquals(PacketType.DATA, CommonHeader.peekType(buf));
        DataHeader d = new DataHeader();
        assertTrue(d.decode(buf));
        assertEquals(messageId, d.messageId);
        assertEquals(length, d.messageLength);
        assertEquals(h.segmentOffset, d.segmentOffset);
        assertEquals(index, d.packetIndex);
        assertEquals(stride, d.stride);
        assertEquals(unscheduled, d.unscheduled);
        assertEquals(epoch, d.epoch);
        assertEquals(h.flags, d.flags);
    }

    @Test
    void malformedDataHeadersAreRefused() {
        DataHeader h = new DataHeader();
        h.messageId = 2;
        h.messageLength = 200_000;
        h.segmentOffset = 65_536;
        h.stride = 1446;
        ByteBuffer good = ByteBuffer.allocate(DataHeader.LENGTH);
        h.encode(good);
        assertTrue(new DataHeader().decode(good));

        assertFalse(new DataHeader().decode(good.duplicate().limit(DataHeader.LENGTH - 1)), "truncated");
        assertFalse(new DataHeader().decode(with(good, 0, 2)), "version");
        assertFalse(new DataHeader().decode(with(good, 1, 2)), "type");
        assertFalse(new DataHeader().decode(with(good, 2, 0x80)), "unknown flag");
        assertFalse(new DataHeader().decode(withInt(good, 10, (1 << 30) + 1)), "message too long");
        assertFalse(new DataHeader().decode(withInt(good, 14, 1000)), "segment offset not aligned");
        assertFalse(new DataHeader().decode(withInt(good, 14, 262_144)), "segment beyond the message");
        ByteBuffer smallStride = ByteBuffer.allocate(DataHeader.LENGTH).put(good.duplicate()).flip();
        smallStride.putShort(20, (short) 100);
        assertFalse(new DataHeader().decode(smallStride), "stride too small");
    }

    @Test
    void controlHeaderRoundTripsAndRefusesStrayFields() {
        ControlHeader h = new ControlHeader().type(PacketType.RESEND);
        h.messageId = 9;
        h.offset = 1446;
        h.length = 2892;
        h.packetNumber = 1L << 40;
        h.epoch = 3;
        ByteBuffer buf = ByteBuffer.allocate(ControlHeader.LENGTH);
        h.encode(buf);
        ControlHeader d = new ControlHeader();
        assertTrue(d.decodeAny(buf));
        assertEquals(PacketType.RESEND, d.type());
        assertEquals(1446, d.offset);
        assertEquals(2892, d.length);
        assertEquals(1L << 40, d.packetNumber);
        assertEquals(3, d.epoch);

        ByteBuffer ack = with(buf, 1, PacketType.ACK.code());
        assertFalse(new ControlHeader().decodeAny(ack), "ACK with a range");
        ByteBuffer grant = with(buf, 1, PacketType.GRANT.code());
        assertFalse(new ControlHeader().decodeAny(grant), "GRANT with a length");
        ControlHeader run = new ControlHeader().type(PacketType.ACK);
        for (long length : new long[] {0, 1, ControlHeader.MAX_ACK_RUN, ControlHeader.MAX_ACK_RUN + 1}) {
            run.length = length;
            ByteBuffer encoded = ByteBuffer.allocate(ControlHeader.LENGTH);
            run.encode(encoded);
            boolean valid = length >= 1 && length <= ControlHeader.MAX_ACK_RUN;
            assertEquals(valid, new ControlHeader().decodeAny(encoded), "ACK of " + length + " RPCs");
        }
        assertFalse(new ControlHeader().decodeAny(with(buf, 2, CommonHeader.FLAG_RETRANSMIT)), "retransmit flag on control");
        assertFalse(new ControlHeader().decodeAny(with(buf, 1, PacketType.DATA.code())), "DATA is not control");
        assertThrows(IllegalArgumentException.class, () -> new ControlHeader().type(PacketType.HANDSHAKE));
    }

    @Test
    void handshakeHeaderRoundTrips() {
        HandshakeHeader h = new HandshakeHeader();
        h.handshakeNonce = 0xCAFEBABE;
        h.flight = 1;
        h.flightLength = 5000;
        h.fragmentOffset = 1400;
        ByteBuffer buf = ByteBuffer.allocate(HandshakeHeader.LENGTH);
        h.encode(buf);
        HandshakeHeader d = new HandshakeHeader();
        assertTrue(d.decode(buf));
        assertEquals(0xCAFEBABE, d.handshakeNonce);
        assertEquals(1, d.flight);
        assertEquals(5000, d.flightLength);
        assertEquals(1400, d.fragmentOffset);
        assertFalse(new HandshakeHeader().decode(with(buf, 3, 1)), "epoch must be 0");
        assertFalse(new HandshakeHeader().decode(withInt(buf, 20, 6000)), "fragment beyond the flight");
    }

    @Test
    void garbageNeverThrows() {
        Random random = new Random(42);
        DataHeader data = new DataHeader();
        ControlHeader control = new ControlHeader();
        HandshakeHeader handshake = new HandshakeHeader();
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[random.nextInt(60)];
            random.nextBytes(junk);
            if (junk.length > 0 && random.nextBoolean()) {
                junk[0] = 1;
            }
            ByteBuffer b = ByteBuffer.wrap(junk);
            PacketType type = CommonHeader.peekType(b);
            if (type == null) {
                assertFalse(data.decode(b) || control.decodeAny(b) || handshake.decode(b));
            } else {
                data.decode(b);
                control.decodeAny(b);
                handshake.decode(b);
            }
        }
        assertNull(CommonHeader.peekType(ByteBuffer.allocate(3)));
    }

    private static ByteBuffer with(ByteBuffer original, int offset, int value) {
        ByteBuffer copy = ByteBuffer.allocate(original.limit()).put(original.duplicate().position(0)).flip();
        copy.put(offset, (byte) value);
        return copy;
    }

    private static ByteBuffer withInt(ByteBuffer original, int offset, int value) {
        ByteBuffer copy = ByteBuffer.allocate(original.limit()).put(original.duplicate().position(0)).flip();
        copy.putInt(offset, value);
        return copy;
    }
}
