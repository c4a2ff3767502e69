package dev.sdp.crypto;

/**
 * The outcome of opening a record or control packet. Every rejection is its own constant so
 * operators can count each reason; none of them is signalled by an exception.
 */
public enum RecordStatus {
    /** Authenticated and decrypted. */
    OK,
    /** The AEAD tag did not verify: forged, corrupted, or opened with the wrong parameters. */
    BAD_TAG,
    /** The message ID or control packet number was already accepted. */
    REPLAY,
    /** The message ID or control packet number is at or below the replay window's floor. */
    TOO_OLD,
    /** The record's header or length is malformed or does not match where it sits in the message. */
    BAD_LENGTH,
    /** The key epoch in the header is none of the epochs the receiver holds keys for. */
    UNKNOWN_EPOCH,
    /** The record authenticated but its final marker disagrees with the message length in the header. */
    WRONG_FINAL,
    /** The record authenticated but its inner content type is not one SDP defines. */
    BAD_CONTENT_TYPE,
    /** The session reached its integrity limit (too many failed decryptions) and accepts nothing more. */
    SESSION_CLOSED;

    /** True for every outcome but {@link #OK}. */
    public boolean isRejection() {
        return this != OK;
    }
}
