package dev.sdp.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.wire.MessageLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Key epochs: usage counting and updates on the sender, following on the receiver, the integrity limit. */
class KeyEpochTest {
    private static EpochKeys keys(CipherSuite suite) {
        byte[] secret = new byte[suite.hashLength()];
        Arrays.fill(secret, (byte) 0x5a);
        return EpochKeys.initial(suite, secret);
    }

    /** Seals a one-record message and counts it delivered, as if the peer opened it at once. */
    private static ByteBuffer sealOne(SendProtection sender, RecordCrypter crypter, long messageId) {
        SendProtection.SendEpoch epoch = sender.reserveMessage(1);
        ByteBuffer out = ByteBuffer.allocate(10 + MessageLayout.RECORD_OVERHEAD);
        sender.sealRecord(crypter, epoch, messageId, 0, true, ByteBuffer.allocate(10), out);
        epoch.messageDone(true);
        return out.flip();
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void senderUpdatesBeforeTheLimitAndReceiverFollows(CipherSuite suite) {
        RecordStats stats = new RecordStats();
        SendProtection sender = new SendProtection(keys(suite), 3, stats);
        ReceiveProtection receiver = new ReceiveProtection(keys(suite), stats);
        RecordCrypter crypter = new RecordCrypter(suite);
        for (long i = 1; i <= 600; i++) {
            int expectedEpoch = (int) ((i - 1) / 3);
            long messageId = i << 1;
            ByteBuffer record = sealOne(sender, crypter, messageId);
            assertEquals(expectedEpoch, sender.current().keys().epoch());
            assertTrue(sender.current().used() <= 3);
            assertEquals(RecordStatus.OK, receiver.openRecord(crypter, expectedEpoch & 0xFF, messageId, 0, true, record, ByteBuffer.allocate(11)),
                    "message " + i);
            assertEquals(expectedEpoch, receiver.currentEpoch());
        }
        // 600 messages with 3 per key: 200 epochs, so the 8-bit wire epoch wrapped and still resolved.
        assertEquals(199, sender.current().keys().epoch());
        assertEquals(0, stats.rejections());
    }

    @Test
    void aFreshEpochTakesAWholeMessageEvenAboveTheLimit() {
        SendProtection sender = new SendProtection(keys(CipherSuite.TLS_AES_128_GCM_SHA256), 10, new RecordStats());
        SendProtection.SendEpoch first = sender.reserve(4);
        assertSame(first, sender.reserve(6));
        SendProtection.SendEpoch second = sender.reserveMessage(65_536);
        assertNotEquals(first, second);
        assertEquals(65_536, second.used());
        second.messageDone(true);
        assertEquals(2, sender.reserve(1).keys().epoch());
    }

    @Test
    void updateLimitMayNotExceedTheConfidentialityLimit() {
        assertThrows(IllegalArgumentException.class,
                () -> new SendProtection(keys(CipherSuite.TLS_AES_128_GCM_SHA256), 1L << 23, new RecordStats()));
        assertEquals(1L << 22, SendProtection.DEFAULT_UPDATE_LIMIT);
    }

    @Test
    void messagesInFlightAcrossAnUpdateStillOpen() {
        CipherSuite suite = CipherSuite.TLS_AES_256_GCM_SHA384;
        SendProtection sender = new SendProtection(keys(suite), new RecordStats());
        ReceiveProtection receiver = new ReceiveProtection(keys(suite), new RecordStats());
        RecordCrypter crypter = new RecordCrypter(suite);
        ByteBuffer old = sealOne(sender, crypter, 2);
        sender.update();
        ByteBuffer newer = sealOne(sender, crypter, 4);
        assertEquals(RecordStatus.OK, receiver.openRecord(crypter, 1, 4, 0, true, newer, ByteBuffer.allocate(11)));
        assertEquals(1, receiver.currentEpoch());
        assertEquals(RecordStatus.OK, receiver.openRecord(crypter, 0, 2, 0, true, old, ByteBuffer.allocate(11)), "previous epoch still held");
        SendProtection twoAhead = new SendProtection(keys(suite).next().next().next(), new RecordStats());
        ByteBuffer third = sealOne(twoAhead, crypter, 6);
        assertEquals(RecordStatus.UNKNOWN_EPOCH, receiver.openRecord(crypter, 3, 6, 0, true, third, ByteBuffer.allocate(11)),
                "two epochs ahead is not accepted");
    }

    @Test
    void theKeyMovesOnOnlyWhenThePeerHoldsItAndThePreviousEpochHasDrained() {
        SendProtection sender = new SendProtection(keys(CipherSuite.TLS_AES_128_GCM_SHA256), 100, new RecordStats());
        SendProtection.SendEpoch first = sender.reserveMessage(1);
        assertTrue(sender.update(), "from the initial epoch the peer already holds the next one");
        SendProtection.SendEpoch second = sender.reserveMessage(1);
        assertEquals(1, second.keys().epoch());
        assertFalse(sender.update(), "nothing of epoch 1 is known to have been opened");
        second.messageDone(true);
        assertFalse(sender.update(), "a message of epoch 0 is still open");
        assertEquals(1, sender.reserveMessage(1).keys().epoch(), "new messages stay on epoch 1 meanwhile");
        first.messageDone(false);
        assertEquals(2, sender.reserveMessage(1).keys().epoch(), "the requested update happens with the next message");
    }

    @Test
    void theKeyStaysPastTheUpdateLimitWhileTheGateIsShut() {
        SendProtection sender = new SendProtection(keys(CipherSuite.TLS_AES_128_GCM_SHA256), 4, new RecordStats());
        sender.reserveMessage(4);
        SendProtection.SendEpoch second = sender.reserveMessage(4);
        assertEquals(1, second.keys().epoch());
        assertEquals(1, sender.reserveMessage(4).keys().epoch(), "epoch 1 is unconfirmed: it keeps serving past the limit");
        assertEquals(8, second.used());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void integrityLimitClosesTheSession(CipherSuite suite) {
        RecordStats stats = new RecordStats();
        SendProtection sender = new SendProtection(keys(suite), stats);
        ReceiveProtection receiver = new ReceiveProtection(keys(suite), 5, 64, stats);
        RecordCrypter crypter = new RecordCrypter(suite);
        ByteBuffer genuine = sealOne(sender, crypter, 2);
        for (int i = 0; i < 5; i++) {
            ByteBuffer forged = ByteBuffer.allocate(genuine.limit()).put(genuine.duplicate()).flip();
            forged.put(9, (byte) (forged.get(9) ^ (i + 1)));
            assertEquals(RecordStatus.BAD_TAG, receiver.openRecord(crypter, 0, 2, 0, true, forged, ByteBuffer.allocate(11)));
        }
        assertTrue(receiver.isClosed());
        assertEquals(5, receiver.failedDecryptions());
        assertEquals(RecordStatus.SESSION_CLOSED, receiver.openRecord(crypter, 0, 2, 0, true, genuine, ByteBuffer.allocate(11)));
        assertEquals(5, stats.count(RecordStatus.BAD_TAG));
        assertEquals(1, stats.count(RecordStatus.SESSION_CLOSED));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void aForgedCopyDoesNotBlockTheGenuineRecord(CipherSuite suite) {
        // A forged record with the same message ID and index arrives first, then the genuine one: the
        // JDK's ChaCha20 would refuse the second init with the same key and nonce if nothing intervened.
        SendProtection sender = new SendProtection(keys(suite), new RecordStats());
        ReceiveProtection receiver = new ReceiveProtection(keys(suite), new RecordStats());
        RecordCrypter crypter = new RecordCrypter(suite);
        ByteBuffer genuine = sealOne(sender, crypter, 2);
        ByteBuffer forged = ByteBuffer.allocate(genuine.limit()).put(genuine.duplicate()).flip();
        forged.put(forged.limit() - 1, (byte) (forged.get(forged.limit() - 1) ^ 1));
        assertEquals(RecordStatus.BAD_TAG, receiver.openRecord(crypter, 0, 2, 0, true, forged, ByteBuffer.allocate(11)));
        assertEquals(RecordStatus.OK, receiver.openRecord(crypter, 0, 2, 0, true, genuine.duplicate(), ByteBuffer.allocate(11)));
        assertEquals(RecordStatus.OK, receiver.openRecord(crypter, 0, 2, 0, true, genuine.duplicate(), ByteBuffer.allocate(11)),
                "a duplicate still decrypts; replay is the window's job, not the cipher's");
    }

    @Test
    void sealingTheSameRecordTwiceIsRefused() {
        for (CipherSuite suite : CipherSuite.values()) {
            EpochKeys keys = keys(suite);
            RecordCrypter crypter = new RecordCrypter(suite);
            crypter.seal(keys, 2, 0, true, ByteBuffer.allocate(1), ByteBuffer.allocate(64));
            assertThrows(IllegalStateException.class, () -> crypter.seal(keys, 2, 0, true, ByteBuffer.allocate(1), ByteBuffer.allocate(64)),
                    suite + ": the JDK's own guard against an immediate nonce repeat");
        }
    }
}
