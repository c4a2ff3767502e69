package dev.sdp.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * One reusable JCE AEAD cipher of a suite, with a 96-bit nonce and a 16-byte tag. Everything the
 * record layer encrypts goes through here. Not thread-safe. A failed tag check is a return value,
 * not an exception; other JCE failures are bugs and surface as {@link IllegalStateException}.
 */
public final class Aead {
    private final CipherSuite suite;
    private final Cipher cipher;
    private final byte[] decoyNonce = new byte[CipherSuite.NONCE_LENGTH];

    /** A cipher for {@code suite}'s AEAD. */
    public Aead(CipherSuite suite) {
        this.suite = suite;
        this.cipher = suite.newCipher();
    }

    /** The suite this cipher implements. */
    public CipherSuite suite() {
        return suite;
    }

    /**
     * Encrypts {@code plaintext} then {@code trailer} (either may be empty) as one AEAD plaintext,
     * writing ciphertext and tag at {@code out}'s position. Consumes all inputs. The JDK refuses to
     * encrypt twice in a row with one key and nonce, which {@link IllegalStateException} reports.
     */
    public void seal(SecretKey key, byte[] nonce, ByteBuffer aad, ByteBuffer plaintext, ByteBuffer trailer, ByteBuffer out) {
        try {
            init(Cipher.ENCRYPT_MODE, key, nonce);
            cipher.updateAAD(aad);
            cipher.update(plaintext, out);
            cipher.doFinal(trailer, out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD encryption failed: " + e.getMessage(), e);
        }
    }

    /**
     * Decrypts ciphertext-and-tag into {@code out} and returns true, or returns false when the tag
     * does not verify; then neither buffer has moved and the bytes after {@code out}'s position are
     * undefined. {@code out} needs room for the ciphertext less the tag.
     */
    public boolean open(SecretKey key, byte[] nonce, ByteBuffer aad, ByteBuffer ciphertext, ByteBuffer out) {
        int inStart = ciphertext.position();
        int outStart = out.position();
        try {
            initForDecryption(key, nonce);
            cipher.updateAAD(aad);
            cipher.doFinal(ciphertext, out);
            return true;
        } catch (AEADBadTagException e) {
            ciphertext.position(inStart);
            out.position(outStart);
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD decryption failed: " + e.getMessage(), e);
        }
    }

    private void initForDecryption(SecretKey key, byte[] nonce) throws GeneralSecurityException {
        try {
            init(Cipher.DECRYPT_MODE, key, nonce);
        } catch (InvalidKeyException e) {
            if (!suite.refusesRepeatedNonce()) {
                throw e;
            }
            // Some JDK builds refuse to re-initialise ChaCha20-Poly1305 with the previous key and nonce
            // even to decrypt (25.0.3 refuses only encryption). A forged copy of a record must not block
            // the genuine one, so a throwaway initialisation clears the check and the real one follows.
            for (int i = 0; i < nonce.length; i++) {
                decoyNonce[i] = (byte) ~nonce[i];
            }
            init(Cipher.DECRYPT_MODE, key, decoyNonce);
            init(Cipher.DECRYPT_MODE, key, nonce);
        }
    }

    private void init(int mode, SecretKey key, byte[] nonce) throws GeneralSecurityException {
        if (nonce.length != CipherSuite.NONCE_LENGTH) {
            throw new IllegalArgumentException("AEAD nonces are 12 bytes, got " + nonce.length);
        }
        cipher.init(mode, key, suite.nonceSpec(nonce));
    }
}
