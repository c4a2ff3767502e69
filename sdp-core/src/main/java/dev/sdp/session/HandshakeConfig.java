package dev.sdp.session;

import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How an endpoint runs TLS 1.3 handshakes over SDP: the credentials and trust of a standard
 * {@link SSLContext}, whether clients must present certificates, and the limits that keep
 * unauthenticated handshake state bounded. Build with {@link #builder(SSLContext)}.
 *
 * @param sslContext key and trust managers for both roles (TLS 1.3 is enforced on every engine)
 * @param clientAuth whether this endpoint, as a server, asks for or requires client certificates
 * @param verifyHostname whether a client checks the server certificate against the host name
 *     (or IP address) it called, as HTTPS does (default true)
 * @param retransmitInterval first wait before a client sends its last flight again; doubles each time (default 20 ms)
 * @param timeout how long a handshake may take before it fails (default 5 s)
 * @param maxPendingPerSource unfinished server-side handshakes one IP address may hold (default 16)
 * @param maxPendingTotal unfinished server-side handshakes over all sources (default 1024)
 * @param idleTimeout a session established by a handshake with no RPCs and no authenticated
 *     traffic for this long is closed; the next call handshakes again (default 5 min)
 * @param maxSessions sessions from handshakes an endpoint keeps at once (default 10 000); a new one
 *     beyond it evicts the least recently active session without open RPCs, or is refused
 * @param handshakesPerSecondPerSource new server-side handshakes one IP address may start per
 *     second, in bursts of up to {@code maxPendingPerSource} (default 32): each costs a key agreement
 *     and a signature, so a source sending ClientHellos faster has the excess dropped (it retransmits)
 */
public record HandshakeConfig(SSLContext sslContext, ClientAuth clientAuth, boolean verifyHostname, Duration retransmitInterval,
                              Duration timeout, int maxPendingPerSource, int maxPendingTotal, Duration idleTimeout, int maxSessions,
                              int handshakesPerSecondPerSource) {

    /** Whether a server asks for client certificates (mutual TLS). */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /** A certificate is asked for; a client without one is still accepted. */
        WANT,
        /** A client without a trusted certificate fails the handshake. */
        NEED
    }

    /** Checks the settings. */
    public HandshakeConfig {
        Objects.requireNonNull(sslContext, "sslContext");
        Objects.requireNonNull(clientAuth, "clientAuth");
        if (retransmitInterval.isNegative() || retransmitInterval.isZero() || timeout.compareTo(retransmitInterval) < 0) {
            throw new IllegalArgumentException("retransmit interval must be positive and no longer than the timeout");
        }
        if (maxPendingPerSource < 1 || maxPendingTotal < maxPendingPerSource) {
            throw new IllegalArgumentException("pending handshake caps must be positive, the total at least the per-source cap");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero() || maxSessions < 1 || handshakesPerSecondPerSource < 1) {
            throw new IllegalArgumentException("idle timeout, session cap and handshake rate must be positive");
        }
    }

    /**
     * A builder with the defaults, using {@code sslContext}.
     *
     * @param sslContext the credentials and trust this side handshakes with
     * @return a new builder
     */
    public static Builder builder(SSLContext sslContext) {
        return new Builder(sslContext);
    }

    /** Builder for {@link HandshakeConfig}; every setter has the default named there. */
    public static final class Builder {
        private final SSLContext sslContext;
        private ClientAuth clientAuth = ClientAuth.NONE;
        private boolean verifyHostname = true;
        private Duration retransmitInterval = Duration.ofMillis(20);
        private Duration timeout = Duration.ofSeconds(5);
        private int maxPendingPerSource = 16;
        private int maxPendingTotal = 1024;
        private Duration idleTimeout = Duration.ofMinutes(5);
        private int maxSessions = 10_000;
        private int handshakesPerSecondPerSource = 32;

        private Builder(SSLContext sslContext) {
            this.sslContext = sslContext;
        }

        /**
         * Sets {@code clientAuth} (see {@link HandshakeConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder clientAuth(ClientAuth v) { clientAuth = v; return this; }
        /**
         * Sets {@code verifyHostname} (see {@link HandshakeConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder verifyHostname(boolean v) { verifyHostname = v; return this; }
        /**
         * Sets {@code retransmitInterval} (see {@link HandshakeConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder retransmitInterval(Duration v) { retransmitInterval = v; return this; }
        /**
         * Sets {@code timeout} (see {@link HandshakeConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder timeout(Duration v) { timeout = v; return this; }
        /**
         * Sets {@code maxPendingPerSource} (see {@link HandshakeConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxPendingPerSource(int v) { maxPendingPerSource = v; return this; }
        /**
         * Sets {@code maxPendingTotal} (see {@link HandshakeConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxPendingTotal(int v) { maxPendingTotal = v; return this; }
        /**
         * Sets {@code idleTimeout} (see {@link HandshakeConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        /**
         * Sets {@code maxSessions} (see {@link HandshakeConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxSessions(int v) { maxSessions = v; return this; }
        /**
         * Sets {@code handshakesPerSecondPerSource} (see {@link HandshakeConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder handshakesPerSecondPerSource(int v) { handshakesPerSecondPerSource = v; return this; }

        /**
         * The settings, checked.
         *
         * @return the configuration
         */
        public HandshakeConfig build() {
            return new HandshakeConfig(sslContext, clientAuth, verifyHostname, retransmitInterval, timeout, maxPendingPerSource,
                    maxPendingTotal, idleTimeout, maxSessions, handshakesPerSecondPerSource);
        }
    }
}
