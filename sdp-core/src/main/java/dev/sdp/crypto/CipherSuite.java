package dev.sdp.crypto;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The TLS 1.3 cipher suites SDP protects records with, and their AEAD usage limits
 * (RFC 8446 §5.5, RFC 9001 §6.6).
 */
public enum CipherSuite {
    /** AES-128-GCM with SHA-256 (0x1301), the suite every TLS 1.3 implementation has. */
    TLS_AES_128_GCM_SHA256(0x1301, "AES", "AES/GCM/NoPadding", 16, "HKDF-SHA256", "SHA-256", 32, 1L << 23, 1L << 52),
    /** AES-256-GCM with SHA-384 (0x1302). */
    TLS_AES_256_GCM_SHA384(0x1302, "AES", "AES/GCM/NoPadding", 32, "HKDF-SHA384", "SHA-384", 48, 1L << 23, 1L << 52),
    /** ChaCha20-Poly1305 with SHA-256 (0x1303). */
    TLS_CHACHA20_POLY1305_SHA256(0x1303, "ChaCha20", "ChaCha20-Poly1305", 32, "HKDF-SHA256", "SHA-256", 32, 1L << 62, 1L << 36);

    /** Length of the AEAD nonce and of every IV: 96 bits. */
    public static final int NONCE_LENGTH = 12;
    /** Length of the AEAD tag. */
    public static final int TAG_LENGTH = 16;

    private final int code;
    private final String keyAlgorithm;
    private final String transformation;
    private final int keyLength;
    private final String kdfAlgorithm;
    private final String hashAlgorithm;
    private final int hashLength;
    private final long confidentialityLimit;
    private final long integrityLimit;

    CipherSuite(int code, String keyAlgorithm, String transformation, int keyLength, String kdfAlgorithm,
                String hashAlgorithm, int hashLength, long confidentialityLimit, long integrityLimit) {
        this.code = code;
        this.keyAlgorithm = keyAlgorithm;
        this.transformation = transformation;
        this.keyLength = keyLength;
        this.kdfAlgorithm = kdfAlgorithm;
        this.hashAlgorithm = hashAlgorithm;
        this.hashLength = hashLength;
        this.confidentialityLimit = confidentialityLimit;
        this.integrityLimit = integrityLimit;
    }

    /**
     * The two-byte TLS code point.
     *
     * @return the code point
     */
    public int code() {
        return code;
    }

    /**
     * AEAD key length in bytes.
     *
     * @return the key length
     */
    public int keyLength() {
        return keyLength;
    }

    /**
     * Output length of the suite's hash, which is also the traffic secret length.
     *
     * @return the hash length, in bytes
     */
    public int hashLength() {
        return hashLength;
    }

    /**
     * JCE name of the suite's HKDF, for {@code javax.crypto.KDF}.
     *
     * @return the KDF's algorithm name
     */
    public String kdfAlgorithm() {
        return kdfAlgorithm;
    }

    /**
     * JCE name of the suite's hash.
     *
     * @return the hash's algorithm name
     */
    public String hashAlgorithm() {
        return hashAlgorithm;
    }

    /**
     * Records (data and control) one key may protect (RFC 9001 §6.6; ChaCha20 has no practical limit).
     *
     * @return the limit, in records
     */
    public long confidentialityLimit() {
        return confidentialityLimit;
    }

    /**
     * Failed decryptions a session tolerates before it must close (RFC 9001 §6.6).
     *
     * @return the limit, in failed decryptions
     */
    public long integrityLimit() {
        return integrityLimit;
    }

    /**
     * The suite for a JSSE / IANA suite name such as {@code TLS_AES_128_GCM_SHA256}.
     *
     * @param name the suite's name
     * @return the suite
     * @throws IllegalArgumentException if SDP does not support it
     */
    public static CipherSuite fromName(String name) {
        for (CipherSuite s : values()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("not a TLS 1.3 cipher suite SDP supports: " + name);
    }

    /**
     * A new, uninitialised JCE cipher for this suite's AEAD.
     *
     * @return the cipher
     */
    public Cipher newCipher() {
        try {
            return Cipher.getInstance(transformation);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(transformation + " is not available in this JDK", e);
        }
    }

    /**
     * Wraps raw key bytes as a JCE key for this suite.
     *
     * @param keyBytes the key, {@link #keyLength} bytes
     * @return the key
     */
    public SecretKeySpec key(byte[] keyBytes) {
        if (keyBytes.length != keyLength) {
            throw new IllegalArgumentException(this + " needs a " + keyLength + "-byte key, got " + keyBytes.length);
        }
        return new SecretKeySpec(keyBytes, keyAlgorithm);
    }

    /**
     * The JCE parameters for one AEAD operation with a 96-bit nonce and a 128-bit tag.
     *
     * @param nonce the 12-byte nonce
     * @return the parameters
     */
    public AlgorithmParameterSpec nonceSpec(byte[] nonce) {
        return this == TLS_CHACHA20_POLY1305_SHA256 ? new IvParameterSpec(nonce) : new GCMParameterSpec(TAG_LENGTH * 8, nonce);
    }

    /** True when the JDK may refuse to initialise this cipher twice in a row with one key and nonce. */
    boolean refusesRepeatedNonce() {
        return this == TLS_CHACHA20_POLY1305_SHA256;
    }
}
