package dev.sdp.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import javax.crypto.KDF;
import javax.crypto.SecretKey;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF (RFC 5869) through {@code javax.crypto.KDF}, and TLS 1.3's HKDF-Expand-Label
 * (RFC 8446 §7.1). Used when keys are installed or updated, never per record.
 */
public final class Hkdf {
    private static final byte[] LABEL_PREFIX = "tls13 ".getBytes(StandardCharsets.US_ASCII);

    private Hkdf() {
    }

    /** HKDF-Extract then HKDF-Expand; {@code salt} may be empty, which means a string of zeros. */
    public static byte[] extractAndExpand(String kdfAlgorithm, byte[] ikm, byte[] salt, byte[] info, int length)
            throws InvalidAlgorithmParameterException {
        HKDFParameterSpec.Builder builder = HKDFParameterSpec.ofExtract().addIKM(ikm);
        if (salt.length > 0) {
            builder.addSalt(salt);
        }
        return derive(kdfAlgorithm, builder.thenExpand(info, length));
    }

    /** HKDF-Expand of a pseudorandom key. */
    public static byte[] expand(String kdfAlgorithm, byte[] prk, byte[] info, int length)
            throws InvalidAlgorithmParameterException {
        SecretKey key = new SecretKeySpec(prk, "Generic");
        return derive(kdfAlgorithm, HKDFParameterSpec.expandOnly(key, info, length));
    }

    /** HKDF-Expand-Label(secret, label, context, length) with the "tls13 " label prefix. */
    public static byte[] expandLabel(CipherSuite suite, byte[] secret, String label, byte[] context, int length) {
        byte[] labelBytes = label.getBytes(StandardCharsets.US_ASCII);
        int fullLabel = LABEL_PREFIX.length + labelBytes.length;
        if (fullLabel > 255 || context.length > 255 || length > 0xFFFF) {
            throw new IllegalArgumentException("HKDF label, context or length too long");
        }
        ByteArrayOutputStream info = new ByteArrayOutputStream(4 + fullLabel + context.length);
        info.write(length >>> 8);
        info.write(length);
        info.write(fullLabel);
        info.writeBytes(LABEL_PREFIX);
        info.writeBytes(labelBytes);
        info.write(context.length);
        info.writeBytes(context);
        try {
            return expand(suite.kdfAlgorithm(), secret, info.toByteArray(), length);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalArgumentException("HKDF-Expand-Label " + label + " failed", e);
        }
    }

    private static byte[] derive(String kdfAlgorithm, java.security.spec.AlgorithmParameterSpec spec)
            throws InvalidAlgorithmParameterException {
        try {
            return KDF.getInstance(kdfAlgorithm).deriveData(spec);
        } catch (InvalidAlgorithmParameterException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(kdfAlgorithm + " is not available in this JDK", e);
        }
    }
}
