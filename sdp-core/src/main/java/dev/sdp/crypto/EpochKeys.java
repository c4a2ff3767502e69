package dev.sdp.crypto;

import java.security.MessageDigest;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys of one direction of a session in one key epoch (docs/PROTOCOL.md §5): a data key and
 * IV for records, and a separate control key and IV for control packets, all derived from the
 * epoch's traffic secret. Immutable and shared by every thread that seals or opens under it.
 */
public final class EpochKeys {
    static final String DATA_KEY_LABEL = "key";
    static final String DATA_IV_LABEL = "iv";
    static final String CONTROL_KEY_LABEL = "sdp ctl key";
    static final String CONTROL_IV_LABEL = "sdp ctl iv";
    static final String UPDATE_LABEL = "traffic upd";
    private static final byte[] NO_CONTEXT = new byte[0];

    private final CipherSuite suite;
    private final int epoch;
    private final byte[] secret;
    final SecretKeySpec dataKey;
    final byte[] dataIv;
    final SecretKeySpec controlKey;
    final byte[] controlIv;

    private EpochKeys(CipherSuite suite, int epoch, byte[] secret) {
        if (secret.length != suite.hashLength()) {
            throw new IllegalArgumentException(suite + " traffic secrets are " + suite.hashLength() + " bytes, got " + secret.length);
        }
        this.suite = suite;
        this.epoch = epoch;
        this.secret = secret.clone();
        this.dataKey = suite.key(Hkdf.expandLabel(suite, secret, DATA_KEY_LABEL, NO_CONTEXT, suite.keyLength()));
        this.dataIv = Hkdf.expandLabel(suite, secret, DATA_IV_LABEL, NO_CONTEXT, CipherSuite.NONCE_LENGTH);
        this.controlKey = suite.key(Hkdf.expandLabel(suite, secret, CONTROL_KEY_LABEL, NO_CONTEXT, suite.keyLength()));
        this.controlIv = Hkdf.expandLabel(suite, secret, CONTROL_IV_LABEL, NO_CONTEXT, CipherSuite.NONCE_LENGTH);
    }

    /**
     * Keys of epoch 0 from a direction's initial traffic secret.
     *
     * @param suite the session's cipher suite
     * @param trafficSecret the direction's traffic secret, {@link CipherSuite#hashLength} bytes
     * @return the keys of epoch 0
     */
    public static EpochKeys initial(CipherSuite suite, byte[] trafficSecret) {
        return new EpochKeys(suite, 0, trafficSecret);
    }

    /**
     * Keys of the next epoch: secret_{n+1} = HKDF-Expand-Label(secret_n, "traffic upd", "", Hash.length).
     *
     * @return the next epoch's keys
     */
    public EpochKeys next() {
        if (epoch == Integer.MAX_VALUE) {
            throw new IllegalStateException("key epoch space exhausted");
        }
        return new EpochKeys(suite, epoch + 1, Hkdf.expandLabel(suite, secret, UPDATE_LABEL, NO_CONTEXT, suite.hashLength()));
    }

    /**
     * Whether {@code other} comes from the same traffic secret (compared in constant time).
     *
     * @param other keys to compare with
     * @return whether both come from one secret
     */
    public boolean sameSecret(EpochKeys other) {
        return MessageDigest.isEqual(secret, other.secret);
    }

    /**
     * The suite these keys are for.
     *
     * @return the suite
     */
    public CipherSuite suite() {
        return suite;
    }

    /**
     * The epoch number, from 0.
     *
     * @return the epoch
     */
    public int epoch() {
        return epoch;
    }

    /**
     * The epoch as it travels in packet headers: its low 8 bits.
     *
     * @return the epoch's low 8 bits
     */
    public int wireEpoch() {
        return epoch & 0xFF;
    }

    /**
     * Copy of the data key bytes (for test vectors and diagnostics; the record path never copies keys).
     *
     * @return a copy of the key
     */
    public byte[] dataKeyBytes() {
        return dataKey.getEncoded();
    }

    /**
     * Copy of the data IV.
     *
     * @return a copy of the IV
     */
    public byte[] dataIv() {
        return dataIv.clone();
    }

    /**
     * Copy of the control key bytes.
     *
     * @return a copy of the key
     */
    public byte[] controlKeyBytes() {
        return controlKey.getEncoded();
    }

    /**
     * Copy of the control IV.
     *
     * @return a copy of the IV
     */
    public byte[] controlIv() {
        return controlIv.clone();
    }

    /**
     * Copy of this epoch's traffic secret.
     *
     * @return a copy of the secret
     */
    public byte[] trafficSecret() {
        return secret.clone();
    }

    @Override
    public String toString() {
        return "EpochKeys[" + suite + ", epoch " + epoch + "]";
    }
}
