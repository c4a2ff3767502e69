package dev.sdp.crypto;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbound direction of a session's record protection: the current key epoch, how much it
 * has been used, and the move to the next epoch before the AEAD confidentiality limit
 * (docs/PROTOCOL.md §7). Thread-safe; sealing itself happens in the caller's {@link RecordCrypter}.
 *
 * <p>A message is sealed entirely under the epoch {@link #reserveMessage} returned for it, and
 * records are never sealed twice: a retransmission sends the same ciphertext again. Receivers hold
 * the previous, current and next epochs, so the key never moves on twice while a message sealed
 * under the older of the two epochs is still open ({@link SendEpoch#messageDone}), nor before the
 * peer has shown it holds the current epoch (it opened a message sealed under it), since a receiver
 * only derives the epoch after the one it has seen. Until both hold, the current key stays in use
 * past the update limit, up to the suite's confidentiality limit.
 */
public final class SendProtection {
    private static final System.Logger LOG = System.getLogger(SendProtection.class.getName());
    /** Default records (plus control packets) per key before a key update: 2^22, half the AES-GCM limit. */
    public static final long DEFAULT_UPDATE_LIMIT = 1L << 22;
    /** Most records one message can reserve at once. */
    static final int MAX_RECORDS_PER_MESSAGE = 1 << 16;

    /** One key epoch on the sending side with its usage counters. */
    public static final class SendEpoch {
        private final EpochKeys keys;
        private final AtomicLong used = new AtomicLong();
        /**
         * Control packet numbers count up from a random point below 2^46: secrets wrongly installed
         * again after a restart then reuse no control nonce unless the two runs' ranges overlap.
         */
        private final AtomicLong controlPackets = new AtomicLong(ThreadLocalRandom.current().nextLong(1L << 46));
        private final AtomicLong openMessages = new AtomicLong();
        /** Whether the peer has opened something sealed under this epoch, and so holds its keys. */
        private volatile boolean confirmed;

        SendEpoch(EpochKeys keys) {
            this.keys = keys;
        }

        /** The keys to seal with. */
        public EpochKeys keys() {
            return keys;
        }

        /** The next control packet number of this epoch. */
        public long nextControlPacketNumber() {
            return controlPackets.incrementAndGet();
        }

        /** Records and control packets sealed or reserved under this epoch. */
        public long used() {
            return used.get();
        }

        /**
         * Ends a message reserved with {@link #reserveMessage}: nothing of it will be sent again.
         * {@code delivered} says the peer is known to have opened it (a response to a request, an
         * ACK of a response), which proves the peer holds this epoch's keys. Call once per message.
         */
        public void messageDone(boolean delivered) {
            if (delivered) {
                confirmed = true;
            }
            openMessages.decrementAndGet();
        }

        /** Messages sealed under this epoch that may still be (re)transmitted. */
        public long openMessages() {
            return openMessages.get();
        }
    }

    private final long updateLimit;
    private final long hardLimit;
    private final RecordStats stats;
    private volatile SendEpoch current;
    /** The epoch before {@link #current}; the key may move on only once its messages are done. */
    private volatile SendEpoch previous;
    private volatile boolean updateRequested;

    /**
     * @param initial keys of epoch 0
     * @param updateLimit uses of one key after which the next message moves to a new epoch; at
     *     most the suite's confidentiality limit less the largest message, so no key ever passes the limit
     */
    public SendProtection(EpochKeys initial, long updateLimit, RecordStats stats) {
        long max = initial.suite().confidentialityLimit() - MAX_RECORDS_PER_MESSAGE;
        if (updateLimit < 1 || updateLimit > max) {
            throw new IllegalArgumentException("key update limit must be in 1.." + max + " for " + initial.suite() + ": " + updateLimit);
        }
        this.updateLimit = updateLimit;
        this.hardLimit = initial.suite().confidentialityLimit();
        this.stats = stats;
        this.current = new SendEpoch(initial);
    }

    /** With {@link #DEFAULT_UPDATE_LIMIT}. */
    public SendProtection(EpochKeys initial, RecordStats stats) {
        this(initial, DEFAULT_UPDATE_LIMIT, stats);
    }

    /**
     * Reserves {@code uses} records or control packets and returns the epoch to seal them under,
     * first moving to a new epoch when they would take the current key past the update limit (or
     * an update was requested) and the previous epoch has no open messages. A fresh epoch always
     * takes one whole message, so a key is used at most max(update limit, 2^16) times while the
     * peer keeps up.
     *
     * @throws IllegalStateException when the key would pass the suite's confidentiality limit
     *     because messages of the previous epoch stay open
     */
    public SendEpoch reserve(int uses) {
        if (uses < 1 || uses > MAX_RECORDS_PER_MESSAGE) {
            throw new IllegalArgumentException("uses out of range: " + uses);
        }
        while (true) {
            SendEpoch epoch = current;
            long after = epoch.used.addAndGet(uses);
            if ((after <= updateLimit && !updateRequested) || after == uses) {
                return epoch;
            }
            if (!advanceFrom(epoch) && current == epoch) {
                if (after <= hardLimit) {
                    return epoch;
                }
                epoch.used.addAndGet(-uses);
                throw new IllegalStateException("key epoch " + epoch.keys.epoch() + " is exhausted while messages of the previous epoch are open");
            }
            epoch.used.addAndGet(-uses);
        }
    }

    /** {@link #reserve} for a message of {@code records} records, which stays open until {@link SendEpoch#messageDone}. */
    public SendEpoch reserveMessage(int records) {
        while (true) {
            SendEpoch epoch = reserve(records);
            epoch.openMessages.incrementAndGet();
            // An update between the reservation and the count may have left this epoch two behind. Once
            // it is counted and still current or previous, it stays usable: the key only moves past
            // the previous epoch when that has no open message.
            if (epoch == current || epoch == previous) {
                return epoch;
            }
            epoch.openMessages.decrementAndGet();
        }
    }

    /** Seals one record of a message under the epoch reserved for it (see {@link RecordCrypter#seal}). */
    public void sealRecord(RecordCrypter crypter, SendEpoch epoch, long messageId, int recordIndex, boolean last,
                           ByteBuffer plaintext, ByteBuffer out) {
        crypter.seal(epoch.keys, messageId, recordIndex, last, plaintext, out);
        stats.countSealedRecord();
    }

    /** Seals the last record of an error response under the epoch reserved for its message (see {@link RecordCrypter#sealFinalError}). */
    public void sealFinalErrorRecord(RecordCrypter crypter, SendEpoch epoch, long messageId, int recordIndex, ByteBuffer plaintext,
                                     ByteBuffer out) {
        crypter.sealFinalError(epoch.keys, messageId, recordIndex, plaintext, out);
        stats.countSealedRecord();
    }

    /** Writes a control packet's tag (see {@link RecordCrypter#sealControl}). */
    public void sealControl(RecordCrypter crypter, SendEpoch epoch, long packetNumber, ByteBuffer header, ByteBuffer tagOut) {
        crypter.sealControl(epoch.keys, packetNumber, header, tagOut);
        stats.countSealedControl();
    }

    /**
     * An on-demand key update: moves to the next epoch now if the rules above allow (returning
     * true), otherwise with the first later reservation they allow.
     */
    public boolean update() {
        updateRequested = true;
        return advanceFrom(current);
    }

    /** The epoch new messages are sealed under. */
    public SendEpoch current() {
        return current;
    }

    private synchronized boolean advanceFrom(SendEpoch epoch) {
        boolean peerHoldsEpoch = previous == null || epoch.confirmed;
        if (current != epoch || !peerHoldsEpoch || (previous != null && previous.openMessages.get() > 0)) {
            return false;
        }
        previous = epoch;
        current = new SendEpoch(epoch.keys.next());
        updateRequested = false;
        LOG.log(System.Logger.Level.DEBUG, "key update: sealing under epoch {0} from now on", current.keys.epoch());
        return true;
    }
}
