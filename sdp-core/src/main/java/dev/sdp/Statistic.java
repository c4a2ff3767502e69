package dev.sdp;

import dev.sdp.crypto.RecordStats;
import dev.sdp.crypto.RecordStatus;
import dev.sdp.transport.TransportStats;
import dev.sdp.transport.TransportStats.Counter;
import java.util.Locale;

/**
 * Every counter an {@link SdpSocket} keeps, with its name in operator output ({@link #key()},
 * snake_case) and one line saying what it counts. Read them through {@link SocketStatistics}.
 */
@SuppressWarnings("doclint:missing") // each constant's description() is its documentation, one line apiece
public enum Statistic {
    PACKETS_IN("datagrams received"),
    PACKETS_OUT("datagrams sent"),
    BYTES_IN("bytes of datagrams received"),
    BYTES_OUT("bytes of datagrams sent"),
    SEND_CALLS("driver calls that sent datagrams (packets_out / send_calls: datagrams per call, above 1 with UDP GSO)"),
    MESSAGES_SENT("messages (requests and responses) fully sent"),
    MESSAGES_RECEIVED("messages fully received and authenticated"),
    RPCS_COMPLETED("calls answered with a response"),
    RPCS_FAILED("calls that failed (timeout, refusal, session end, remote error)"),
    REQUESTS_DELIVERED("requests handed to the handler or the receive queue"),
    ERROR_RESPONSES_RECEIVED("calls answered with an error response (the handler failed)"),
    DATA_RETRANSMITTED("DATA packets sent again (after a RESEND or a timeout)"),
    DATA_DUPLICATES_RECEIVED("DATA packets received that were already held: retransmissions that were not needed"),
    GRANTS_SENT("GRANT packets sent (receiver-driven flow control)"),
    GRANTS_RECEIVED("GRANT packets received"),
    RESENDS_SENT("RESEND packets sent: data this side missed and asked for again"),
    RESENDS_RECEIVED("RESEND packets received"),
    BUSY_SENT("BUSY packets sent: a request still being served, or a response not yet sent"),
    ACKS_SENT("ACK packets sent (clients acknowledging responses, in batches)"),
    NEED_ACKS_SENT("NEED_ACK packets sent (servers asking whether a response arrived)"),
    UNKNOWN_SENT("UNKNOWN packets sent: the peer named an RPC this side does not have"),
    CLOSES_SENT("CLOSE packets sent: sessions this side ended"),
    SESSIONS_CLOSED_BY_PEER("sessions the peer ended with an authenticated CLOSE"),
    DUPLICATE_PACKETS("packets dropped as copies of ones already taken"),
    MALFORMED_PACKETS("datagrams dropped as malformed (bad version, type, lengths or fields)"),
    UNKNOWN_PEER_PACKETS("datagrams from an address with no session, dropped"),
    INCONSISTENT_PACKETS("DATA packets that disagree with the message they claim to belong to"),
    CONTROL_FOR_UNKNOWN_RPC("control packets naming an RPC this side does not have"),
    DATA_FOR_UNKNOWN_RPC("DATA packets for an RPC that is over"),
    MESSAGE_TOO_LARGE_DROPPED("messages declaring more than the maximum message size, dropped"),
    UNAUTHENTICATED_BUDGET_DROPPED("packets dropped because data not yet authenticated is at its memory cap"),
    UNAUTHENTICATED_EVICTED("requests not yet authenticated dropped to make room for others"),
    UNAUTHENTICATED_EXPIRED("requests that did not authenticate in time, dropped"),
    DATA_BEFORE_AUTHENTICATION("packets past a message's first record that arrived before it authenticated (asked for again)"),
    REASSEMBLY_BUDGET_DROPPED("packets dropped because reassembly memory is at its cap (asked for again)"),
    RESPONSES_UNACKNOWLEDGED("responses given up on after the client went silent"),
    CONTROL_BUDGET_DROPPED("control packets not sent because the peer's control budget was spent"),
    RPC_CAP_DROPPED("requests dropped because the peer has the maximum number of RPCs open"),
    MESSAGES_DISCARDED("partial messages discarded (too many forged or inconsistent packets)"),
    SESSIONS_KEY_EXHAUSTED("sessions ended because their send key reached its limit"),
    SESSIONS_INTEGRITY_LIMIT("sessions ended by the integrity limit (too many records failed to authenticate)"),
    SESSIONS_CLOSED_IDLE("sessions closed after being idle"),
    SESSIONS_REPLACED("sessions replaced by a new handshake with the same peer"),
    SESSIONS_EVICTED("sessions evicted at the session cap"),
    SESSION_CAP_REFUSED("new sessions refused at the session cap"),
    CALLS_REFUSED_FOR_NAME("calls refused: the session's certificate does not cover the name called"),
    REQUESTS_OF_ENDED_SESSIONS("requests whose session ended before the handler answered"),
    HANDSHAKES_STARTED("TLS handshakes started as client"),
    HANDSHAKES_ACCEPTED("TLS handshakes accepted as server"),
    HANDSHAKES_COMPLETED("TLS handshakes that established a session"),
    HANDSHAKES_FAILED("TLS handshakes that failed"),
    HANDSHAKES_RETRIED("client handshakes started again after failing on unauthenticated bytes"),
    HANDSHAKES_TIMED_OUT("TLS handshakes that did not complete in time"),
    HANDSHAKES_EVICTED("unfinished handshakes evicted at the cap"),
    HANDSHAKES_RATE_LIMITED("ClientHellos ignored over the per-source rate"),
    HANDSHAKE_FLIGHTS_REPEATED("handshake flights sent again for a peer that repeated its own"),
    HANDSHAKE_AMPLIFICATION_LIMITED("handshake datagrams held back by the 3x limit toward an unvalidated address"),
    HANDSHAKE_PACKETS_MALFORMED("HANDSHAKE datagrams dropped as malformed"),
    HANDSHAKE_PACKETS_CORRUPTED("HANDSHAKE datagrams dropped for a bad checksum"),
    HANDSHAKE_FRAGMENTS_CONFLICTING("handshake fragments that disagreed with a copy already held"),
    HANDSHAKE_PACKETS_STALE("HANDSHAKE datagrams for a flight or attempt that is over"),
    SEND_BUFFER_FULL("times a send waited for room in the socket's send buffer"),
    DATAGRAMS_NOT_SENT("datagrams given up on (no room in time, or a send error); recovery sends them again"),
    INTERNAL_ERRORS("errors contained in the I/O duty cycle (a bug: please report)"),
    RECORDS_SEALED("data records sealed"),
    CONTROL_PACKETS_SEALED("control packets tagged"),
    RECORDS_OPENED("records and control packets that authenticated"),
    RECORDS_REJECTED_BAD_TAG("records or control packets whose tag did not verify: forged or damaged"),
    RECORDS_REJECTED_REPLAY("records or control packets already accepted: replays"),
    RECORDS_REJECTED_TOO_OLD("records or control packets below the replay window"),
    RECORDS_REJECTED_BAD_LENGTH("records whose header or length does not fit where they sit"),
    RECORDS_REJECTED_UNKNOWN_EPOCH("records under a key epoch this side holds no keys for"),
    RECORDS_REJECTED_WRONG_FINAL("records whose final marker disagrees with the message length"),
    RECORDS_REJECTED_BAD_CONTENT_TYPE("records with an inner content type SDP does not define"),
    RECORDS_REJECTED_SESSION_CLOSED("records refused because the session reached its integrity limit");

    private final String description;

    Statistic(String description) {
        this.description = description;
    }

    /** The name in operator output: {@code packets_in}, {@code records_rejected_bad_tag}, ... */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** What it counts, in one line. */
    public String description() {
        return description;
    }

    /** Whether it counts a record or control packet that failed to open. */
    public boolean isRecordRejection() {
        return name().startsWith("RECORDS_REJECTED_");
    }

    /** Reads the counter from the socket's live counters. */
    long read(TransportStats stats) {
        RecordStats records = stats.records();
        return switch (this) {
            case RECORDS_SEALED -> records.sealedRecords();
            case CONTROL_PACKETS_SEALED -> records.sealedControlPackets();
            case RECORDS_OPENED -> records.count(RecordStatus.OK);
            default -> isRecordRejection()
                    ? records.count(RecordStatus.valueOf(name().substring("RECORDS_REJECTED_".length())))
                    : stats.get(Counter.valueOf(name()));
        };
    }
}
