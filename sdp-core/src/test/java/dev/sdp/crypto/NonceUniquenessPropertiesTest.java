package dev.sdp.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.wire.MessageLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * No (key, nonce) pair ever repeats on a session. Both hosts act as client and server on the same
 * session, so each host's write key protects its own requests (IDs it allocates) and its responses
 * to the other host's requests (IDs the other host allocates): the role bit is what keeps the two
 * apart. Keys update in the middle (small update limit), and control packets use their own key.
 */
class NonceUniquenessPropertiesTest {
    private static final HexFormat HEX = HexFormat.of();

    /** One host's write direction: what it seals and every (key, nonce) it used. */
    private static final class Writer {
        final SendProtection send;
        long nextRpcId = 1;

        Writer(EpochKeys keys, long updateLimit) {
            send = new SendProtection(keys, updateLimit, new RecordStats());
        }
    }

    @Property(tries = 60)
    void keyNoncePairsNeverRepeat(@ForAll long seed,
                                  @ForAll @IntRange(min = 20, max = 120) int operations,
                                  @ForAll CipherSuite suite) {
        Random random = new Random(seed);
        byte[] clientSecret = randomBytes(random, suite.hashLength());
        byte[] serverSecret = randomBytes(random, suite.hashLength());
        long updateLimit = 1 + random.nextInt(40);
        Writer a = new Writer(EpochKeys.initial(suite, clientSecret), updateLimit);
        Writer b = new Writer(EpochKeys.initial(suite, serverSecret), updateLimit);
        List<Long> requestsFromA = new ArrayList<>();
        List<Long> requestsFromB = new ArrayList<>();
        Set<String> used = new HashSet<>();
        int sealed = 0;
        for (int op = 0; op < operations; op++) {
            boolean fromA = random.nextBoolean();
            Writer w = fromA ? a : b;
            List<Long> ownRequests = fromA ? requestsFromA : requestsFromB;
            List<Long> peerRequests = fromA ? requestsFromB : requestsFromA;
            int length = random.nextInt(4) == 0 ? random.nextInt(70_000) : random.nextInt(300);
            long messageId;
            if (!peerRequests.isEmpty() && random.nextBoolean()) {
                // A response to one of the peer's requests: same RPC ID as the peer allocated, role bit 1.
                messageId = peerRequests.remove(random.nextInt(peerRequests.size())) | 1;
            } else {
                messageId = w.nextRpcId++ << 1;
                ownRequests.add(messageId);
            }
            sealed += sealMessage(w, messageId, length, used, suite);
            if (random.nextInt(5) == 0) {
                SendProtection.SendEpoch epoch = w.send.reserve(1);
                long pn = epoch.nextControlPacketNumber();
                byte[] nonce = new byte[12];
                RecordCrypter.nonce(epoch.keys().controlIv(), pn, nonce);
                assertTrue(used.add(HEX.formatHex(epoch.keys().controlKeyBytes()) + "/" + HEX.formatHex(nonce)), "control nonce reused");
                sealed++;
            }
        }
        assertEquals(sealed, used.size());
    }

    @Test
    void withoutTheRoleBitRequestAndResponseWouldShareANonce() {
        // The attack on the authors' prototype: host A's request with RPC ID 5 and A's response to
        // B's RPC ID 5 are both sealed under A's write key. Strip the role bit and they collide.
        long request = 5L << 1;
        long response = (5L << 1) | 1;
        assertEquals(RecordCrypter.sequenceNumber(request >>> 1, 0), RecordCrypter.sequenceNumber(response >>> 1, 0));
        assertTrue(RecordCrypter.sequenceNumber(request, 0) != RecordCrypter.sequenceNumber(response, 0));
    }

    private static int sealMessage(Writer w, long messageId, int length, Set<String> used, CipherSuite suite) {
        int records = MessageLayout.recordCount(length);
        SendProtection.SendEpoch epoch = w.send.reserve(records);
        RecordCrypter crypter = new RecordCrypter(suite);
        String key = HEX.formatHex(epoch.keys().dataKeyBytes());
        byte[] nonce = new byte[12];
        ByteBuffer out = ByteBuffer.allocate(MessageLayout.MAX_RECORD_PLAINTEXT + MessageLayout.RECORD_OVERHEAD);
        for (int i = 0; i < records; i++) {
            int recordLength = MessageLayout.recordPlaintextLength(length, i);
            out.clear();
            // Sealing for real: the JDK itself refuses an immediate key+nonce repeat, and the count must add up.
            w.send.sealRecord(crypter, epoch, messageId, i, i == records - 1, ByteBuffer.allocate(recordLength), out);
            // The nonce computed below is the one sealing used: the record opens under it and nothing else.
            assertEquals(RecordStatus.OK, crypter.open(epoch.keys(), messageId, i, i == records - 1, out.flip(),
                    ByteBuffer.allocate(recordLength + 1)));
            RecordCrypter.nonce(epoch.keys().dataIv(), RecordCrypter.sequenceNumber(messageId, i), nonce);
            assertTrue(used.add(key + "/" + HEX.formatHex(nonce)), "data nonce reused for message " + messageId + " record " + i);
        }
        return records;
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
