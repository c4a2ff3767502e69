package dev.sdp.bench;

import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.crypto.RecordCrypter;
import dev.sdp.crypto.RecordStatus;
import dev.sdp.wire.MessageLayout;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Seal + open of one record: SDP's record layer against raw JCE doing the same AEAD work (build
 * the nonce, init, the 5-byte header as AAD, plaintext plus content type in, record out, and back)
 * in the same run. Each operation uses a new record sequence number, as real traffic does.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Thread)
public class RecordProtectionBenchmark {
    @Param({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
    public String suite;

    @Param({"64", "1024", "16384"})
    public int size;

    private EpochKeys keys;
    private RecordCrypter crypter;
    private ByteBuffer plaintext;
    private ByteBuffer record;
    private ByteBuffer opened;
    private long messageId = 2;

    private CipherSuite cipherSuite;
    private Cipher raw;
    private SecretKeySpec rawKey;
    private byte[] rawIv;
    private final byte[] rawNonce = new byte[12];
    private final byte[] rawHeader = new byte[5];
    private byte[] rawInner;
    private byte[] rawRecord;
    private byte[] rawOpened;

    @Setup
    public void setUp() {
        cipherSuite = CipherSuite.fromName(suite);
        byte[] secret = new byte[cipherSuite.hashLength()];
        new Random(1).nextBytes(secret);
        keys = EpochKeys.initial(cipherSuite, secret);
        crypter = new RecordCrypter(cipherSuite);
        byte[] data = new byte[size];
        new Random(2).nextBytes(data);
        plaintext = ByteBuffer.wrap(data);
        record = ByteBuffer.allocate(size + MessageLayout.RECORD_OVERHEAD);
        opened = ByteBuffer.allocate(size + 1);

        raw = cipherSuite.newCipher();
        rawKey = cipherSuite.key(keys.dataKeyBytes());
        rawIv = keys.dataIv();
        rawInner = java.util.Arrays.copyOf(data, size + 1);
        rawInner[size] = 0x17;
        rawRecord = new byte[size + MessageLayout.RECORD_OVERHEAD];
        rawOpened = new byte[size + 1];
        int length = size + 17;
        rawHeader[0] = 0x17;
        rawHeader[1] = 3;
        rawHeader[2] = 3;
        rawHeader[3] = (byte) (length >>> 8);
        rawHeader[4] = (byte) length;
    }

    @Benchmark
    public int sdpSealOpen() {
        long id = messageId += 2;
        plaintext.clear();
        record.clear();
        crypter.seal(keys, id, 0, false, plaintext, record);
        record.flip();
        opened.clear();
        if (crypter.open(keys, id, 0, false, record, opened) != RecordStatus.OK) {
            throw new AssertionError("record did not open");
        }
        return opened.position();
    }

    @Benchmark
    public int rawJceSealOpen() throws GeneralSecurityException {
        long sequence = (messageId += 2) << 16;
        for (int i = 0; i < 12; i++) {
            rawNonce[i] = (byte) (rawIv[i] ^ (i < 4 ? 0 : sequence >>> (88 - 8 * i)));
        }
        raw.init(Cipher.ENCRYPT_MODE, rawKey, cipherSuite.nonceSpec(rawNonce));
        raw.updateAAD(rawHeader);
        System.arraycopy(rawHeader, 0, rawRecord, 0, 5);
        raw.doFinal(rawInner, 0, rawInner.length, rawRecord, 5);
        raw.init(Cipher.DECRYPT_MODE, rawKey, cipherSuite.nonceSpec(rawNonce));
        raw.updateAAD(rawRecord, 0, 5);
        return raw.doFinal(rawRecord, 5, rawRecord.length - 5, rawOpened, 0);
    }
}
