package dev.sdp.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.MessageLayout;
import dev.sdp.wire.PacketType;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every edit an attacker can make to a sealed record or control packet is rejected and counted. */
class TamperTest {
    private static final long MESSAGE_ID = (77L << 1) | 1;

    private static byte[] secret(CipherSuite suite, int seed) {
        byte[] s = new byte[suite.hashLength()];
        new Random(seed).nextBytes(s);
        return s;
    }

    private static ByteBuffer seal(RecordCrypter crypter, EpochKeys keys, int recordIndex, boolean last, byte[] plaintext) {
        ByteBuffer out = ByteBuffer.allocate(plaintext.length + MessageLayout.RECORD_OVERHEAD);
        crypter.seal(keys, MESSAGE_ID, recordIndex, last, ByteBuffer.wrap(plaintext), out);
        return out.flip();
    }

    private static ByteBuffer room() {
        return ByteBuffer.allocate(MessageLayout.MAX_RECORD_PLAINTEXT + 1);
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void everySingleByteFlipIsRejected(CipherSuite suite) {
        EpochKeys keys = EpochKeys.initial(suite, secret(suite, 1));
        RecordStats stats = new RecordStats();
        ReceiveProtection receiver = new ReceiveProtection(keys, 1L << 20, 64, stats);
        RecordCrypter crypter = new RecordCrypter(suite);
        byte[] plaintext = new byte[48];
        new Random(2).nextBytes(plaintext);
        ByteBuffer record = seal(crypter, keys, 3, true, plaintext);
        int rejected = 0;
        for (int i = 0; i < record.limit(); i++) {
            for (int bit : new int[] {0x01, 0x80}) {
                ByteBuffer copy = ByteBuffer.allocate(record.limit()).put(record.duplicate()).flip();
                copy.put(i, (byte) (copy.get(i) ^ bit));
                RecordStatus status = receiver.openRecord(crypter, 0, MESSAGE_ID, 3, true, copy, room());
                assertTrue(status == RecordStatus.BAD_TAG || status == RecordStatus.BAD_LENGTH, "byte " + i + ": " + status);
                rejected++;
            }
        }
        assertEquals(rejected, stats.rejections());
        // And the untouched record still opens: nothing above disturbed the receiver.
        ByteBuffer out = room();
        assertEquals(RecordStatus.OK, receiver.openRecord(crypter, 0, MESSAGE_ID, 3, true, record, out));
        assertEquals(ByteBuffer.wrap(plaintext), out.flip());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void wrongParametersAreRejected(CipherSuite suite) {
        EpochKeys keys = EpochKeys.initial(suite, secret(suite, 3));
        ReceiveProtection receiver = new ReceiveProtection(keys, new RecordStats());
        RecordCrypter crypter = new RecordCrypter(suite);
        ByteBuffer record = seal(crypter, keys, 5, false, new byte[100]);

        assertEquals(RecordStatus.BAD_TAG, receiver.openRecord(crypter, 0, MESSAGE_ID ^ 1, 5, false, record.duplicate(), room()), "role bit");
        assertEquals(RecordStatus.BAD_TAG, receiver.openRecord(crypter, 0, MESSAGE_ID + 2, 5, false, record.duplicate(), room()), "message ID");
        assertEquals(RecordStatus.BAD_TAG, receiver.openRecord(crypter, 0, MESSAGE_ID, 4, false, record.duplicate(), room()), "record index");
        assertEquals(RecordStatus.WRONG_FINAL, receiver.openRecord(crypter, 0, MESSAGE_ID, 5, true, record.duplicate(), room()), "final flag");
        assertEquals(RecordStatus.BAD_TAG, receiver.openRecord(crypter, 1, MESSAGE_ID, 5, false, record.duplicate(), room()), "next epoch");
        assertEquals(RecordStatus.UNKNOWN_EPOCH, receiver.openRecord(crypter, 7, MESSAGE_ID, 5, false, record.duplicate(), room()), "unknown epoch");
        ByteBuffer otherDirection = ByteBuffer.allocate(record.limit()).put(record.duplicate()).flip();
        ReceiveProtection wrongKeys = new ReceiveProtection(EpochKeys.initial(suite, secret(suite, 4)), new RecordStats());
        assertEquals(RecordStatus.BAD_TAG, wrongKeys.openRecord(crypter, 0, MESSAGE_ID, 5, false, otherDirection, room()), "other key");
        assertEquals(RecordStatus.OK, receiver.openRecord(crypter, 0, MESSAGE_ID, 5, false, record.duplicate(), room()));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void droppingTheFinalRecordIsDetected(CipherSuite suite) {
        EpochKeys keys = EpochKeys.initial(suite, secret(suite, 5));
        ReceiveProtection receiver = new ReceiveProtection(keys, new RecordStats());
        RecordCrypter crypter = new RecordCrypter(suite);
        int length = 3 * MessageLayout.MAX_RECORD_PLAINTEXT + 10;
        int records = MessageLayout.recordCount(length);
        ByteBuffer[] sealed = new ByteBuffer[records];
        for (int i = 0; i < records; i++) {
            sealed[i] = seal(crypter, keys, i, i == records - 1, new byte[MessageLayout.recordPlaintextLength(length, i)]);
        }
        // An attacker drops the last record and rewrites the plaintext length so the message seems to end
        // one record earlier: the receiver then expects record 2 to be final, and it is not.
        int truncatedLength = 3 * MessageLayout.MAX_RECORD_PLAINTEXT;
        int truncatedRecords = MessageLayout.recordCount(truncatedLength);
        RecordStatus last = null;
        for (int i = 0; i < truncatedRecords; i++) {
            last = receiver.openRecord(crypter, 0, MESSAGE_ID, i, i == truncatedRecords - 1, sealed[i].duplicate(), room());
        }
        assertEquals(RecordStatus.WRONG_FINAL, last);
        // Lengthening instead: the genuine final record is no longer expected to be final.
        assertEquals(RecordStatus.WRONG_FINAL, receiver.openRecord(crypter, 0, MESSAGE_ID, records - 1, false, sealed[records - 1].duplicate(), room()));
        assertEquals(RecordStatus.OK, receiver.openRecord(crypter, 0, MESSAGE_ID, records - 1, true, sealed[records - 1].duplicate(), room()));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void controlPacketsAreAuthenticatedAndNotReplayable(CipherSuite suite) {
        EpochKeys keys = EpochKeys.initial(suite, secret(suite, 6));
        RecordStats stats = new RecordStats();
        SendProtection sender = new SendProtection(keys, stats);
        ReceiveProtection receiver = new ReceiveProtection(keys, stats);
        RecordCrypter crypter = new RecordCrypter(suite);
        ControlHeader header = new ControlHeader().type(PacketType.RESEND);
        header.messageId = MESSAGE_ID;
        header.offset = 4096;
        header.length = 1400;
        SendProtection.SendEpoch epoch = sender.reserve(1);
        header.epoch = epoch.keys().wireEpoch();
        header.packetNumber = epoch.nextControlPacketNumber();
        ByteBuffer packet = ByteBuffer.allocate(ControlHeader.LENGTH);
        header.encode(packet);
        sender.sealControl(crypter, epoch, header.packetNumber,
                packet.duplicate().limit(ControlHeader.TAG_OFFSET), packet.duplicate().position(ControlHeader.TAG_OFFSET));

        for (int i = 0; i < ControlHeader.LENGTH; i++) {
            ByteBuffer copy = ByteBuffer.allocate(ControlHeader.LENGTH).put(packet.duplicate()).flip();
            copy.put(i, (byte) (copy.get(i) ^ 0x04));
            ControlHeader parsed = new ControlHeader();
            if (!parsed.decodeAny(copy)) {
                continue; // malformed before any crypto: dropped by the wire layer
            }
            RecordStatus status = receiver.openControl(crypter, parsed.epoch, parsed.packetNumber,
                    copy.duplicate().limit(ControlHeader.TAG_OFFSET), copy.duplicate().position(ControlHeader.TAG_OFFSET));
            assertNotEquals(RecordStatus.OK, status, "byte " + i);
        }
        ControlHeader parsed = new ControlHeader();
        assertTrue(parsed.decodeAny(packet.duplicate()));
        assertEquals(RecordStatus.OK, receiver.openControl(crypter, parsed.epoch, parsed.packetNumber,
                packet.duplicate().limit(ControlHeader.TAG_OFFSET), packet.duplicate().position(ControlHeader.TAG_OFFSET)));
        assertEquals(RecordStatus.REPLAY, receiver.openControl(crypter, parsed.epoch, parsed.packetNumber,
                packet.duplicate().limit(ControlHeader.TAG_OFFSET), packet.duplicate().position(ControlHeader.TAG_OFFSET)));
        assertEquals(1, stats.count(RecordStatus.REPLAY));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void anErrorRecordOpensOnlyAsTheLastRecordOfAResponse(CipherSuite suite) {
        RecordCrypter crypter = new RecordCrypter(suite);
        EpochKeys keys = EpochKeys.initial(suite, secret(suite, 9));
        ByteBuffer error = ByteBuffer.allocate(5 + MessageLayout.RECORD_OVERHEAD);
        crypter.sealFinalError(keys, MESSAGE_ID, 3, ByteBuffer.wrap("oops!".getBytes()), error);
        error.flip();
        assertEquals(RecordStatus.WRONG_FINAL, crypter.open(keys, MESSAGE_ID, 3, false, error.duplicate(), room()));
        assertEquals(RecordStatus.OK, crypter.open(keys, MESSAGE_ID, 3, true, error.duplicate(), room()));
        assertTrue(crypter.openedFinalError());
        assertEquals(RecordStatus.OK, crypter.open(keys, MESSAGE_ID, 0, true, seal(crypter, keys, 0, true, new byte[3]), room()));
        assertTrue(!crypter.openedFinalError(), "an ordinary final record is not an error");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> crypter.sealFinalError(keys, MESSAGE_ID ^ 1, 0, ByteBuffer.allocate(1), ByteBuffer.allocate(64)),
                "a request cannot be an error");
    }
}
