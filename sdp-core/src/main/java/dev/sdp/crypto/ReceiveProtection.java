package dev.sdp.crypto;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The inbound direction of a session's record protection (docs/PROTOCOL.md §7–§8): keys for the
 * previous, current and next epoch, the count of failed decryptions against the integrity limit,
 * the replay window over incoming request IDs and one per epoch over control packet numbers, and
 * the counters of every outcome. Thread-safe: records of different messages are opened in
 * parallel, each thread with its own {@link RecordCrypter}.
 */
public final class ReceiveProtection {
    private static final int CONTROL_WINDOW_SIZE = 1024;

    private static final class ReceiveEpoch {
        final EpochKeys keys;
        final ReplayWindow controlWindow = new ReplayWindow(CONTROL_WINDOW_SIZE);

        ReceiveEpoch(EpochKeys keys) {
            this.keys = keys;
        }
    }

    /** The epochs held at one time; replaced whole, so readers need no lock. */
    private record Ring(ReceiveEpoch previous, ReceiveEpoch current, ReceiveEpoch next) {
        ReceiveEpoch resolve(int wireEpoch) {
            if (current.keys.wireEpoch() == wireEpoch) {
                return current;
            }
            if (next.keys.wireEpoch() == wireEpoch) {
                return next;
            }
            return previous != null && previous.keys.wireEpoch() == wireEpoch ? previous : null;
        }
    }

    private final long integrityLimit;
    private final RecordStats stats;
    private final ReplayWindow requestWindow;
    private final AtomicLong failedDecryptions = new AtomicLong();
    private volatile Ring ring;
    private volatile boolean closed;
    /** Who the records come from, as rejection events name it. */
    private volatile String peer = "?";

    /**
     * @param initial keys of epoch 0
     * @param integrityLimit failed decryptions after which the session accepts nothing more
     * @param requestWindowSize size of the replay window over request IDs (a power of two, at least 64)
     */
    public ReceiveProtection(EpochKeys initial, long integrityLimit, int requestWindowSize, RecordStats stats) {
        if (integrityLimit < 1 || integrityLimit > initial.suite().integrityLimit()) {
            throw new IllegalArgumentException("integrity limit must be in 1.." + initial.suite().integrityLimit() + ": " + integrityLimit);
        }
        this.integrityLimit = integrityLimit;
        this.stats = stats;
        this.requestWindow = new ReplayWindow(requestWindowSize);
        this.ring = new Ring(null, new ReceiveEpoch(initial), new ReceiveEpoch(initial.next()));
    }

    /** Names the peer in the JFR events of records this session rejects. */
    public void nameInEvents(String peer) {
        this.peer = peer;
    }

    /** With the suite's integrity limit and the default replay window. */
    public ReceiveProtection(EpochKeys initial, RecordStats stats) {
        this(initial, initial.suite().integrityLimit(), ReplayWindow.DEFAULT_SIZE, stats);
    }

    /**
     * Screens the ID of a request message not seen before, before anything of it is
     * authenticated; changes no state. A rejection is counted.
     */
    public RecordStatus screenRequest(long messageId) {
        return counted(requestWindow.check(messageId >>> 1));
    }

    /** Records a request ID once a record of the request has authenticated; a rejection (a duplicate that won the race) is counted. */
    public RecordStatus acceptRequest(long messageId) {
        return counted(requestWindow.accept(messageId >>> 1));
    }

    /** Opens one record (see {@link RecordCrypter#open}) under the epoch the header names, and counts the outcome. */
    public RecordStatus openRecord(RecordCrypter crypter, int wireEpoch, long messageId, int recordIndex, boolean last,
                                   ByteBuffer record, ByteBuffer out) {
        Ring r = ring;
        ReceiveEpoch epoch = closed ? null : r.resolve(wireEpoch);
        if (epoch == null) {
            return counted(closed ? RecordStatus.SESSION_CLOSED : RecordStatus.UNKNOWN_EPOCH);
        }
        RecordStatus status = crypter.open(epoch.keys, messageId, recordIndex, last, record, out);
        return settle(r, epoch, status);
    }

    /**
     * Verifies a control packet's tag and that its packet number is new for its epoch, and counts
     * the outcome. The number is recorded only once the tag has verified.
     */
    public RecordStatus openControl(RecordCrypter crypter, int wireEpoch, long packetNumber, ByteBuffer header, ByteBuffer tag) {
        Ring r = ring;
        ReceiveEpoch epoch = closed ? null : r.resolve(wireEpoch);
        if (epoch == null) {
            return counted(closed ? RecordStatus.SESSION_CLOSED : RecordStatus.UNKNOWN_EPOCH);
        }
        RecordStatus status = epoch.controlWindow.check(packetNumber);
        if (status == RecordStatus.OK) {
            status = crypter.openControl(epoch.keys, packetNumber, header, tag);
            if (status == RecordStatus.OK) {
                status = epoch.controlWindow.accept(packetNumber);
            }
        }
        return settle(r, epoch, status);
    }

    /** True once the integrity limit was reached; the session must then be closed. */
    public boolean isClosed() {
        return closed;
    }

    /** Records and control packets that failed to authenticate. */
    public long failedDecryptions() {
        return failedDecryptions.get();
    }

    /** The epoch the peer is currently known to send under. */
    public int currentEpoch() {
        return ring.current.keys.epoch();
    }

    private RecordStatus settle(Ring r, ReceiveEpoch epoch, RecordStatus status) {
        if (status == RecordStatus.BAD_TAG) {
            if (failedDecryptions.incrementAndGet() >= integrityLimit) {
                closed = true;
            }
        } else if (status == RecordStatus.OK && epoch == r.next) {
            advanceTo(epoch);
        }
        return counted(status);
    }

    private synchronized void advanceTo(ReceiveEpoch epoch) {
        Ring r = ring;
        if (r.next == epoch) {
            ring = new Ring(r.current, epoch, new ReceiveEpoch(epoch.keys.next()));
        }
    }

    private RecordStatus counted(RecordStatus status) {
        stats.countOutcome(status);
        if (status.isRejection()) {
            RecordRejectedEvent.report(peer, status);
        }
        return status;
    }
}
