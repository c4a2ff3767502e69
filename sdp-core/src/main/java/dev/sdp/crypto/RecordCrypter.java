package dev.sdp.crypto;

import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.MessageLayout;
import java.nio.ByteBuffer;
import javax.crypto.SecretKey;

/**
 * Seals and opens SDP records and control tags (docs/PROTOCOL.md §4–§6) with reusable JCE
 * {@link Aead}s, one per key it has recently used. Not thread-safe: each thread that seals or opens owns one crypter, and any
 * number of crypters share the immutable {@link EpochKeys}, so messages are protected in parallel
 * without a lock. Buffers are the caller's; apart from what the JCE itself allocates per
 * initialisation, nothing is allocated per record.
 */
public final class RecordCrypter {
    /** Outer content type, and inner type of a record that is not the last of its message. */
    public static final byte CONTENT_APPLICATION_DATA = 0x17;
    /** Inner content type of the last record of a message. */
    public static final byte CONTENT_FINAL_APPLICATION_DATA = (byte) 0x97;
    /** Inner content type of the last record of an error response: the message is the server's error text. */
    public static final byte CONTENT_FINAL_ERROR = (byte) 0x98;
    /** Record header: type, legacy version 0x0303, 16-bit length. */
    public static final int HEADER_LENGTH = 5;

    /**
     * Ciphers bound to the keys used most recently, looked up by identity: re-initialising one JCE
     * cipher with a different key re-expands the key schedule (about 0.5 µs for AES-GCM), and a
     * host alternates between at least four keys per RPC (data and control, each direction).
     */
    private static final int CACHED_KEYS = 8;

    private final CipherSuite suite;
    private final SecretKey[] cachedKeys = new SecretKey[CACHED_KEYS];
    private final Aead[] cachedAeads = new Aead[CACHED_KEYS];
    private int nextEviction;
    private final byte[] nonce = new byte[CipherSuite.NONCE_LENGTH];
    private final ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH);
    private final ByteBuffer contentType = ByteBuffer.allocate(1);
    private boolean openedFinalError;
    private final ByteBuffer empty = ByteBuffer.allocate(0);

    private static final ThreadLocal<RecordCrypter[]> PER_THREAD =
            ThreadLocal.withInitial(() -> new RecordCrypter[CipherSuite.values().length]);

    /** The calling thread's crypter for {@code suite}, created on first use. */
    public static RecordCrypter forCurrentThread(CipherSuite suite) {
        RecordCrypter[] crypters = PER_THREAD.get();
        RecordCrypter crypter = crypters[suite.ordinal()];
        if (crypter == null) {
            crypter = new RecordCrypter(suite);
            crypters[suite.ordinal()] = crypter;
        }
        return crypter;
    }

    /** A crypter for one cipher suite. */
    public RecordCrypter(CipherSuite suite) {
        this.suite = suite;
    }

    /** The suite this crypter works with. */
    public CipherSuite suite() {
        return suite;
    }

    private Aead aeadFor(SecretKey key) {
        for (int i = 0; i < CACHED_KEYS; i++) {
            if (cachedKeys[i] == key) {
                return cachedAeads[i];
            }
        }
        int slot = nextEviction;
        nextEviction = (slot + 1) % CACHED_KEYS;
        if (cachedAeads[slot] == null) {
            cachedAeads[slot] = new Aead(suite);
        }
        cachedKeys[slot] = key;
        return cachedAeads[slot];
    }

    /** The 64-bit record sequence number: the 48-bit message ID, role bit included, then the 16-bit record index. */
    public static long sequenceNumber(long messageId, int recordIndex) {
        if (messageId < 0 || messageId > CommonHeader.MAX_MESSAGE_ID || recordIndex < 0 || recordIndex > 0xFFFF) {
            throw new IllegalArgumentException("message ID or record index out of range: " + messageId + "/" + recordIndex);
        }
        return messageId << 16 | recordIndex;
    }

    /** nonce = iv XOR the sequence number left-padded to 12 bytes (RFC 8446 §5.3). */
    public static void nonce(byte[] iv, long sequence, byte[] out) {
        System.arraycopy(iv, 0, out, 0, 4);
        for (int i = 0; i < 8; i++) {
            out[4 + i] = (byte) (iv[4 + i] ^ (sequence >>> (56 - 8 * i)));
        }
    }

    /**
     * Seals one record at {@code out}'s position: header {@code 17 03 03 len}, then the encrypted
     * inner plaintext (the plaintext, then the content type that says whether it is the message's
     * last record) and the tag. Consumes {@code plaintext}; advances {@code out} by
     * plaintext + {@link MessageLayout#RECORD_OVERHEAD} bytes.
     */
    public void seal(EpochKeys keys, long messageId, int recordIndex, boolean last, ByteBuffer plaintext, ByteBuffer out) {
        seal(keys, messageId, recordIndex, last ? CONTENT_FINAL_APPLICATION_DATA : CONTENT_APPLICATION_DATA, plaintext, out);
    }

    /**
     * Seals the last record of an error response ({@link #seal} with inner content type
     * {@link #CONTENT_FINAL_ERROR}): the response says the request failed, and why.
     */
    public void sealFinalError(EpochKeys keys, long messageId, int recordIndex, ByteBuffer plaintext, ByteBuffer out) {
        if ((messageId & 1) == 0) {
            throw new IllegalArgumentException("only a response can carry an error");
        }
        seal(keys, messageId, recordIndex, CONTENT_FINAL_ERROR, plaintext, out);
    }

    private void seal(EpochKeys keys, long messageId, int recordIndex, byte innerType, ByteBuffer plaintext, ByteBuffer out) {
        int length = plaintext.remaining();
        if (length > MessageLayout.MAX_RECORD_PLAINTEXT) {
            throw new IllegalArgumentException("record plaintext over 16 KiB: " + length);
        }
        if (out.remaining() < length + MessageLayout.RECORD_OVERHEAD) {
            throw new IllegalArgumentException("output buffer too small for a " + length + "-byte record");
        }
        checkSuite(keys);
        int bodyLength = length + 1 + CipherSuite.TAG_LENGTH;
        header.clear();
        header.put(CONTENT_APPLICATION_DATA).put((byte) 0x03).put((byte) 0x03).putShort((short) bodyLength).flip();
        out.put(header);
        header.rewind();
        contentType.clear();
        contentType.put(0, innerType);
        nonce(keys.dataIv, sequenceNumber(messageId, recordIndex), nonce);
        aeadFor(keys.dataKey).seal(keys.dataKey, nonce, header, plaintext, contentType, out);
    }

    /**
     * Opens the one record that fills {@code record} (position to limit), writing the plaintext
     * at {@code out}'s position. {@code out} needs room for the plaintext plus one byte (the inner
     * content type, which is removed again). On {@link RecordStatus#OK} both buffers advance; on
     * any rejection neither moves and the bytes after {@code out}'s position are undefined.
     */
    public RecordStatus open(EpochKeys keys, long messageId, int recordIndex, boolean last, ByteBuffer record, ByteBuffer out) {
        openedFinalError = false;
        checkSuite(keys);
        int start = record.position();
        int recordLength = record.remaining();
        int plaintextLength = recordLength - MessageLayout.RECORD_OVERHEAD;
        if (plaintextLength < 0 || plaintextLength > MessageLayout.MAX_RECORD_PLAINTEXT
                || record.get(start) != CONTENT_APPLICATION_DATA || record.get(start + 1) != 0x03 || record.get(start + 2) != 0x03
                || (record.getShort(start + 3) & 0xFFFF) != recordLength - HEADER_LENGTH
                || recordIndex < 0 || recordIndex > 0xFFFF || messageId < 0 || messageId > CommonHeader.MAX_MESSAGE_ID) {
            return RecordStatus.BAD_LENGTH;
        }
        if (out.remaining() < plaintextLength + 1) {
            throw new IllegalArgumentException("output buffer too small for a " + plaintextLength + "-byte record");
        }
        int outStart = out.position();
        nonce(keys.dataIv, sequenceNumber(messageId, recordIndex), nonce);
        header.clear().put(0, record, start, HEADER_LENGTH).limit(HEADER_LENGTH);
        record.position(start + HEADER_LENGTH);
        if (!aeadFor(keys.dataKey).open(keys.dataKey, nonce, header, record, out)) {
            record.position(start);
            return RecordStatus.BAD_TAG;
        }
        byte type = out.get(outStart + plaintextLength);
        RecordStatus status = type == CONTENT_FINAL_APPLICATION_DATA ? (last ? RecordStatus.OK : RecordStatus.WRONG_FINAL)
                : type == CONTENT_APPLICATION_DATA ? (last ? RecordStatus.WRONG_FINAL : RecordStatus.OK)
                : type == CONTENT_FINAL_ERROR && (messageId & 1) == 1 ? (last ? RecordStatus.OK : RecordStatus.WRONG_FINAL)
                : RecordStatus.BAD_CONTENT_TYPE;
        openedFinalError = type == CONTENT_FINAL_ERROR;
        if (status != RecordStatus.OK) {
            record.position(start);
            out.position(outStart);
            return status;
        }
        out.position(outStart + plaintextLength);
        return RecordStatus.OK;
    }

    /**
     * Computes the tag of a control packet: AEAD under the control key with an empty plaintext,
     * {@code authenticated} (position to limit: the packet up to the tag) as additional data and
     * nonce = control IV XOR packet number. Consumes it; writes 16 bytes at {@code tagOut}'s position.
     */
    public void sealControl(EpochKeys keys, long packetNumber, ByteBuffer authenticated, ByteBuffer tagOut) {
        checkSuite(keys);
        nonce(keys.controlIv, packetNumber, nonce);
        empty.clear();
        aeadFor(keys.controlKey).seal(keys.controlKey, nonce, authenticated, empty, empty, tagOut);
    }

    /** Verifies a control packet's tag (the 16 bytes of {@code tag}, position to limit); consumes both buffers. */
    public RecordStatus openControl(EpochKeys keys, long packetNumber, ByteBuffer authenticated, ByteBuffer tag) {
        checkSuite(keys);
        if (tag.remaining() != CipherSuite.TAG_LENGTH) {
            return RecordStatus.BAD_LENGTH;
        }
        nonce(keys.controlIv, packetNumber, nonce);
        empty.clear();
        return aeadFor(keys.controlKey).open(keys.controlKey, nonce, authenticated, tag, empty) ? RecordStatus.OK : RecordStatus.BAD_TAG;
    }

    /**
     * Whether the record the last {@link #open} returned {@link RecordStatus#OK} for was the final
     * record of an error response ({@link #CONTENT_FINAL_ERROR}).
     */
    public boolean openedFinalError() {
        return openedFinalError;
    }

    private void checkSuite(EpochKeys keys) {
        if (keys.suite() != suite) {
            throw new IllegalArgumentException("keys for " + keys.suite() + " used with a " + suite + " crypter");
        }
    }
}
