package dev.sdp.crypto;

import dev.sdp.wire.CommonHeader;
import dev.sdp.wire.MessageLayout;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens SDP records and control tags (docs/PROTOCOL.md §4–§6) with one reusable JCE
 * {@link Cipher}. Not thread-safe: each thread that seals or opens owns one crypter, and any
 * number of crypters share the immutable {@link EpochKeys}, so messages are protected in parallel
 * without a lock. Buffers are the caller's; apart from what the JCE itself allocates per
 * initialisation, nothing is allocated per record.
 */
public final class RecordCrypter {
    /** Outer content type, and inner type of a record that is not the last of its message. */
    public static final byte CONTENT_APPLICATION_DATA = 0x17;
    /** Inner content type of the last record of a message. */
    public static final byte CONTENT_FINAL_APPLICATION_DATA = (byte) 0x97;
    /** Record header: type, legacy version 0x0303, 16-bit length. */
    public static final int HEADER_LENGTH = 5;

    private final CipherSuite suite;
    private final Cipher cipher;
    private final byte[] nonce = new byte[CipherSuite.NONCE_LENGTH];
    private final byte[] aad = new byte[HEADER_LENGTH];
    private final ByteBuffer contentType = ByteBuffer.allocate(1);
    private final ByteBuffer empty = ByteBuffer.allocate(0);
    private SecretKeySpec lastKey;
    private long lastSequence;

    /** A crypter for one cipher suite. */
    public RecordCrypter(CipherSuite suite) {
        this.suite = suite;
        this.cipher = suite.newCipher();
    }

    /** The suite this crypter works with. */
    public CipherSuite suite() {
        return suite;
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
        int length = plaintext.remaining();
        if (length > MessageLayout.MAX_RECORD_PLAINTEXT) {
            throw new IllegalArgumentException("record plaintext over 16 KiB: " + length);
        }
        if (out.remaining() < length + MessageLayout.RECORD_OVERHEAD) {
            throw new IllegalArgumentException("output buffer too small for a " + length + "-byte record");
        }
        checkSuite(keys);
        int bodyLength = length + 1 + CipherSuite.TAG_LENGTH;
        aad[0] = CONTENT_APPLICATION_DATA;
        aad[1] = 0x03;
        aad[2] = 0x03;
        aad[3] = (byte) (bodyLength >>> 8);
        aad[4] = (byte) bodyLength;
        out.put(aad);
        contentType.clear();
        contentType.put(0, last ? CONTENT_FINAL_APPLICATION_DATA : CONTENT_APPLICATION_DATA);
        try {
            init(Cipher.ENCRYPT_MODE, keys.dataKey, keys.dataIv, sequenceNumber(messageId, recordIndex));
            cipher.updateAAD(aad);
            cipher.update(plaintext, out);
            cipher.doFinal(contentType, out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed: " + e.getMessage(), e);
        }
    }

    /**
     * Opens the one record that fills {@code record} (position to limit), writing the plaintext
     * at {@code out}'s position. {@code out} needs room for the plaintext plus one byte (the inner
     * content type, which is removed again). On {@link RecordStatus#OK} both buffers advance; on
     * any rejection neither moves and the bytes after {@code out}'s position are undefined.
     */
    public RecordStatus open(EpochKeys keys, long messageId, int recordIndex, boolean last, ByteBuffer record, ByteBuffer out) {
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
        record.get(start, aad);
        int outStart = out.position();
        try {
            init(Cipher.DECRYPT_MODE, keys.dataKey, keys.dataIv, sequenceNumber(messageId, recordIndex));
            cipher.updateAAD(aad);
            record.position(start + HEADER_LENGTH);
            cipher.doFinal(record, out);
        } catch (AEADBadTagException e) {
            record.position(start);
            out.position(outStart);
            return RecordStatus.BAD_TAG;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("opening failed: " + e.getMessage(), e);
        }
        byte type = out.get(outStart + plaintextLength);
        RecordStatus status = type == CONTENT_FINAL_APPLICATION_DATA ? (last ? RecordStatus.OK : RecordStatus.WRONG_FINAL)
                : type == CONTENT_APPLICATION_DATA ? (last ? RecordStatus.WRONG_FINAL : RecordStatus.OK)
                : RecordStatus.BAD_CONTENT_TYPE;
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
     * {@code header} (position to limit) as additional data and nonce = control IV XOR packet
     * number. Consumes {@code header}; writes 16 bytes at {@code tagOut}'s position.
     */
    public void sealControl(EpochKeys keys, long packetNumber, ByteBuffer header, ByteBuffer tagOut) {
        checkSuite(keys);
        try {
            init(Cipher.ENCRYPT_MODE, keys.controlKey, keys.controlIv, packetNumber);
            cipher.updateAAD(header);
            empty.clear();
            cipher.doFinal(empty, tagOut);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing a control packet failed: " + e.getMessage(), e);
        }
    }

    /** Verifies a control packet's tag (the 16 bytes of {@code tag}, position to limit); consumes both buffers. */
    public RecordStatus openControl(EpochKeys keys, long packetNumber, ByteBuffer header, ByteBuffer tag) {
        checkSuite(keys);
        if (tag.remaining() != CipherSuite.TAG_LENGTH) {
            return RecordStatus.BAD_LENGTH;
        }
        try {
            init(Cipher.DECRYPT_MODE, keys.controlKey, keys.controlIv, packetNumber);
            cipher.updateAAD(header);
            empty.clear();
            cipher.doFinal(tag, empty);
            return RecordStatus.OK;
        } catch (AEADBadTagException e) {
            return RecordStatus.BAD_TAG;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("opening a control packet failed: " + e.getMessage(), e);
        }
    }

    private void init(int mode, SecretKeySpec key, byte[] iv, long sequence) throws GeneralSecurityException {
        if (mode == Cipher.DECRYPT_MODE && suite.refusesRepeatedNonce() && key == lastKey && sequence == lastSequence) {
            // The JDK's ChaCha20 refuses the same key and nonce twice in a row even to decrypt, so a
            // forged copy of a record would otherwise block the genuine one; a throwaway init in between clears it.
            nonce(iv, ~sequence, nonce);
            cipher.init(Cipher.DECRYPT_MODE, key, suite.nonceSpec(nonce));
        }
        nonce(iv, sequence, nonce);
        cipher.init(mode, key, suite.nonceSpec(nonce));
        lastKey = key;
        lastSequence = sequence;
    }

    private void checkSuite(EpochKeys keys) {
        if (keys.suite() != suite) {
            throw new IllegalArgumentException("keys for " + keys.suite() + " used with a " + suite + " crypter");
        }
    }
}
