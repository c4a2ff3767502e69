package dev.sdp.cli;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.crypto.ReceiveProtection;
import dev.sdp.crypto.RecordCrypter;
import dev.sdp.crypto.RecordStats;
import dev.sdp.crypto.RecordStatus;
import dev.sdp.crypto.SendProtection;
import dev.sdp.wire.MessageLayout;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code sdp selfcheck}: reproduces the RFC 8448 §3 application-data records with SDP's record
 * layer, then seals and opens a multi-record message with every cipher suite and shows that a
 * flipped bit, a replayed message and a dropped final record are rejected.
 */
@Command(name = "selfcheck", mixinStandardHelpOptions = true,
        description = "Seal and open records with the RFC 8448 vectors and every cipher suite.")
final class SelfCheckCommand implements Callable<Integer> {
    private static final HexFormat HEX = HexFormat.of();
    // RFC 8448 §3: the client's and the server's first application-data record (sequence 0 and 1).
    private static final String PAYLOAD = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031";
    private static final String[][] RFC8448 = {
        {"client", "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5", "0",
            "1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4"},
        {"server", "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643", "1",
            "17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d"},
    };

    private int failures;

    @Override
    public Integer call() {
        System.out.println("RFC 8448 §3 application records through SDP's record layer (TLS_AES_128_GCM_SHA256):");
        for (String[] v : RFC8448) {
            checkRfc8448(v[0], HEX.parseHex(v[1]), Integer.parseInt(v[2]), HEX.parseHex(v[3]));
        }
        System.out.println("SDP messages (100 000 bytes, 7 records) per cipher suite:");
        for (CipherSuite suite : CipherSuite.values()) {
            checkSuite(suite);
        }
        System.out.println(failures == 0 ? "self-check passed" : "self-check FAILED: " + failures + " check(s)");
        return failures == 0 ? 0 : 1;
    }

    private void checkRfc8448(String side, byte[] secret, int sequence, byte[] expected) {
        EpochKeys keys = EpochKeys.initial(CipherSuite.TLS_AES_128_GCM_SHA256, secret);
        RecordCrypter crypter = new RecordCrypter(keys.suite());
        ByteBuffer out = ByteBuffer.allocate(expected.length);
        // Sequence number = message ID << 16 | record index, so TLS sequence 0 and 1 are message 0, records 0 and 1.
        crypter.seal(keys, 0, sequence, false, ByteBuffer.wrap(HEX.parseHex(PAYLOAD)), out);
        report(side + " record sealed byte for byte", Arrays.equals(out.array(), expected));
        ByteBuffer plain = ByteBuffer.allocate(expected.length);
        RecordStatus status = crypter.open(keys, 0, sequence, false, ByteBuffer.wrap(expected), plain);
        report(side + " record opened", status == RecordStatus.OK && HEX.formatHex(plain.flip().array(), 0, plain.limit()).equals(PAYLOAD));
    }

    private void checkSuite(CipherSuite suite) {
        SecureRandom random = new SecureRandom();
        byte[] secret = new byte[suite.hashLength()];
        random.nextBytes(secret);
        RecordStats stats = new RecordStats();
        SendProtection sender = new SendProtection(EpochKeys.initial(suite, secret), stats);
        ReceiveProtection receiver = new ReceiveProtection(EpochKeys.initial(suite, secret), stats);
        RecordCrypter crypter = new RecordCrypter(suite);
        byte[] message = new byte[100_000];
        random.nextBytes(message);
        long messageId = 2;
        int records = MessageLayout.recordCount(message.length);
        SendProtection.SendEpoch epoch = sender.reserve(records);
        ByteBuffer[] sealed = new ByteBuffer[records];
        for (int i = 0; i < records; i++) {
            int from = i * MessageLayout.MAX_RECORD_PLAINTEXT;
            int length = MessageLayout.recordPlaintextLength(message.length, i);
            sealed[i] = ByteBuffer.allocateDirect(length + MessageLayout.RECORD_OVERHEAD);
            sender.sealRecord(crypter, epoch, messageId, i, i == records - 1, ByteBuffer.wrap(message, from, length), sealed[i]);
            sealed[i].flip();
        }
        boolean admitted = receiver.screenRequest(messageId) == RecordStatus.OK;
        ByteBuffer plain = ByteBuffer.allocate(message.length + 1);
        boolean allOpened = true;
        for (int i = 0; i < records; i++) {
            allOpened &= receiver.openRecord(crypter, epoch.keys().wireEpoch(), messageId, i, i == records - 1,
                    sealed[i].duplicate(), plain) == RecordStatus.OK;
        }
        admitted &= receiver.acceptRequest(messageId) == RecordStatus.OK;
        plain.flip();
        report(suite + ": message sealed, opened, identical", admitted && allOpened && plain.equals(ByteBuffer.wrap(message)));

        ByteBuffer flipped = copyOf(sealed[0]);
        flipped.put(40, (byte) (flipped.get(40) ^ 1));
        report(suite + ": flipped bit rejected", receiver.openRecord(crypter, 0, messageId, 0, false, flipped, ByteBuffer.allocate(1 << 15)) == RecordStatus.BAD_TAG);
        report(suite + ": replayed message rejected", receiver.screenRequest(messageId) == RecordStatus.REPLAY);
        report(suite + ": dropped final record detected", receiver.openRecord(crypter, 0, messageId, records - 2, true,
                sealed[records - 2].duplicate(), ByteBuffer.allocate(1 << 15)) == RecordStatus.WRONG_FINAL);
    }

    private static ByteBuffer copyOf(ByteBuffer b) {
        ByteBuffer copy = ByteBuffer.allocate(b.remaining());
        copy.put(b.duplicate()).flip();
        return copy;
    }

    private void report(String what, boolean ok) {
        System.out.printf("  %-4s %s%n", ok ? "ok" : "FAIL", what);
        if (!ok) {
            failures++;
        }
    }
}
