package dev.sdp.transport;

import dev.sdp.crypto.ReplayWindow;
import dev.sdp.crypto.SendProtection;
import dev.sdp.wire.DataHeader;
import dev.sdp.wire.MessageLayout;
import java.time.Duration;

/**
 * Settings of an SDP transport endpoint, with documented defaults. Build with {@link #builder()}.
 *
 * @param mtu IP MTU of the path; sets the packet stride (default 1500)
 * @param ipv6 whether the path is IPv6 (40-byte IP header instead of 20), which also sets the stride
 * @param unscheduledBytes protected bytes of a message sent before any grant: about one
 *     bandwidth-delay product (default 64 KiB)
 * @param grantWindow protected bytes a receiver grants beyond what it has received (default 64 KiB)
 * @param overcommit how many incoming messages are granted at once, shortest first (default 4)
 * @param maxMessageSize largest message accepted or sent, at most 1 GiB (default 64 MiB)
 * @param resendInterval silence after which missing data is requested again (default 10 ms)
 * @param rpcTimeout silence of the peer after which an RPC fails (default 5 s)
 * @param maxRpcsPerPeer RPCs (client and server side) one peer may have open (default 4096)
 * @param maxUnauthenticatedBytes bytes buffered for messages none of whose records has
 *     authenticated yet, per peer (default 4 MiB); beyond it such packets are dropped
 * @param maxUnauthenticatedBytesTotal the same over all peers (default 64 MiB)
 * @param maxReassemblyBytes bytes held for incoming messages that have authenticated (protected
 *     segments and plaintext being reassembled), per peer (default 128 MiB); beyond it packets are
 *     dropped, to be asked for again later. Give it room for two messages of the maximum size:
 *     messages that started together and cannot all fit wait for one another until one times out
 * @param maxReassemblyBytesTotal the same over all peers (default 512 MiB)
 * @param unauthenticatedTimeout how long a request may wait for its first record to authenticate
 *     before the server forgets it (default 500 ms); the client then sends it again
 * @param keyUpdateLimit records per key before a key update (default 2^22)
 * @param replayWindow size of the replay window over request IDs (default 8192)
 * @param integrityLimit failed decryptions (records and control packets) after which a session
 *     ends, below the suite's own limit (RFC 9001 §6.6) when a stricter policy is wanted; 0, the
 *     default, means the suite's limit. The peer is told (CLOSE) and the next call handshakes again
 */
public record TransportConfig(int mtu, boolean ipv6, int unscheduledBytes, int grantWindow, int overcommit,
                              long maxMessageSize, Duration resendInterval, Duration rpcTimeout, int maxRpcsPerPeer,
                              long maxUnauthenticatedBytes, long maxUnauthenticatedBytesTotal, long maxReassemblyBytes,
                              long maxReassemblyBytesTotal, Duration unauthenticatedTimeout, long keyUpdateLimit,
                              int replayWindow, long integrityLimit) {

    /** The largest IP packet: a larger MTU would make datagrams UDP cannot carry. */
    public static final int MAX_MTU = 65_535;

    /** Checks the settings. */
    public TransportConfig {
        if (stride(mtu, ipv6) < DataHeader.MIN_STRIDE || mtu > MAX_MTU) {
            throw new IllegalArgumentException("MTU must give a packet stride of at least " + DataHeader.MIN_STRIDE
                    + " bytes and be at most " + MAX_MTU + " (an IP packet's limit): " + mtu);
        }
        if (unscheduledBytes < 0 || grantWindow < 1 || overcommit < 1 || maxRpcsPerPeer < 1) {
            throw new IllegalArgumentException("unscheduled bytes, grant window, overcommit and RPC cap must be positive");
        }
        int firstRecordPackets = (MessageLayout.MAX_RECORD_PLAINTEXT + MessageLayout.RECORD_OVERHEAD + stride(mtu, ipv6) - 1) / stride(mtu, ipv6);
        if (unscheduledBytes < (long) firstRecordPackets * stride(mtu, ipv6)) {
            // A receiver grants nothing before a message's first record authenticates, so that record
            // must go out without a grant, or a message longer than it would never be delivered.
            throw new IllegalArgumentException("unscheduled bytes must cover a message's first record: at least "
                    + (long) firstRecordPackets * stride(mtu, ipv6) + " at this MTU");
        }
        if (maxMessageSize < 0 || maxMessageSize > MessageLayout.MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("max message size must be within 0.." + MessageLayout.MAX_MESSAGE_LENGTH);
        }
        if (resendInterval.isNegative() || resendInterval.isZero() || rpcTimeout.compareTo(resendInterval) < 0) {
            throw new IllegalArgumentException("resend interval must be positive and no longer than the RPC timeout");
        }
        if (unauthenticatedTimeout.compareTo(resendInterval) < 0) {
            throw new IllegalArgumentException("the unauthenticated timeout must be at least one resend interval");
        }
        if (integrityLimit < 0) {
            throw new IllegalArgumentException("the integrity limit cannot be negative (0: the suite's)");
        }
        if (maxReassemblyBytes < MessageLayout.SEGMENT_SIZE * 3L || maxReassemblyBytesTotal < maxReassemblyBytes) {
            throw new IllegalArgumentException("reassembly budgets must hold a few segments, and the total at least one peer's");
        }
    }

    /**
     * A builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * All defaults.
     *
     * @return the default configuration
     */
    public static TransportConfig defaults() {
        return builder().build();
    }

    /**
     * Protected bytes carried per DATA packet.
     *
     * @return the packet stride
     */
    public int stride() {
        return stride(mtu, ipv6);
    }

    /**
     * The largest UDP payload on the path: the MTU less the IP and UDP headers.
     *
     * @return the largest datagram, in bytes
     */
    public int maxDatagram() {
        return maxDatagram(mtu, ipv6);
    }

    private static int maxDatagram(int mtu, boolean ipv6) {
        return mtu - (ipv6 ? 40 : 20) - 8;
    }

    private static int stride(int mtu, boolean ipv6) {
        return maxDatagram(mtu, ipv6) - DataHeader.LENGTH;
    }

    /**
     * These settings for an IPv6 path ({@code ipv6 = true}: packets 20 bytes shorter for the same MTU), or for IPv4.
     *
     * @param v6 whether the path is IPv6
     * @return the changed configuration
     */
    public TransportConfig withIpv6(boolean v6) {
        return new TransportConfig(mtu, v6, unscheduledBytes, grantWindow, overcommit, maxMessageSize, resendInterval,
                rpcTimeout, maxRpcsPerPeer, maxUnauthenticatedBytes, maxUnauthenticatedBytesTotal, maxReassemblyBytes,
                maxReassemblyBytesTotal, unauthenticatedTimeout, keyUpdateLimit, replayWindow, integrityLimit);
    }

    /** Builder for {@link TransportConfig}; every setter has the default named there. */
    public static final class Builder {
        private int mtu = 1500;
        private boolean ipv6;
        private int unscheduledBytes = 64 * 1024;
        private int grantWindow = 64 * 1024;
        private int overcommit = 4;
        private long maxMessageSize = 64L << 20;
        private Duration resendInterval = Duration.ofMillis(10);
        private Duration rpcTimeout = Duration.ofSeconds(5);
        private int maxRpcsPerPeer = 4096;
        private long maxUnauthenticatedBytes = 4L << 20;
        private long maxUnauthenticatedBytesTotal = 64L << 20;
        private long maxReassemblyBytes = 128L << 20;
        private long maxReassemblyBytesTotal = 512L << 20;
        private Duration unauthenticatedTimeout = Duration.ofMillis(500);
        private long keyUpdateLimit = SendProtection.DEFAULT_UPDATE_LIMIT;
        private int replayWindow = ReplayWindow.DEFAULT_SIZE;
        private long integrityLimit;

        private Builder() {
        }

        /**
         * Sets {@code mtu} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder mtu(int v) { mtu = v; return this; }
        /**
         * Sets {@code ipv6} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder ipv6(boolean v) { ipv6 = v; return this; }
        /**
         * Sets {@code unscheduledBytes} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder unscheduledBytes(int v) { unscheduledBytes = v; return this; }
        /**
         * Sets {@code grantWindow} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder grantWindow(int v) { grantWindow = v; return this; }
        /**
         * Sets {@code overcommit} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder overcommit(int v) { overcommit = v; return this; }
        /**
         * Sets {@code maxMessageSize} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxMessageSize(long v) { maxMessageSize = v; return this; }
        /**
         * Sets {@code resendInterval} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder resendInterval(Duration v) { resendInterval = v; return this; }
        /**
         * Sets {@code rpcTimeout} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder rpcTimeout(Duration v) { rpcTimeout = v; return this; }
        /**
         * Sets {@code maxRpcsPerPeer} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxRpcsPerPeer(int v) { maxRpcsPerPeer = v; return this; }
        /**
         * Sets {@code maxUnauthenticatedBytes} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxUnauthenticatedBytes(long v) { maxUnauthenticatedBytes = v; return this; }
        /**
         * Sets {@code maxUnauthenticatedBytesTotal} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxUnauthenticatedBytesTotal(long v) { maxUnauthenticatedBytesTotal = v; return this; }
        /**
         * Sets {@code maxReassemblyBytes} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxReassemblyBytes(long v) { maxReassemblyBytes = v; return this; }
        /**
         * Sets {@code maxReassemblyBytesTotal} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxReassemblyBytesTotal(long v) { maxReassemblyBytesTotal = v; return this; }
        /**
         * Sets {@code unauthenticatedTimeout} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder unauthenticatedTimeout(Duration v) { unauthenticatedTimeout = v; return this; }
        /**
         * Sets {@code keyUpdateLimit} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder keyUpdateLimit(long v) { keyUpdateLimit = v; return this; }
        /**
         * Sets {@code replayWindow} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder replayWindow(int v) { replayWindow = v; return this; }
        /**
         * Sets {@code integrityLimit} (see {@link TransportConfig}).
         *
         * @param v the value
         * @return this builder
         */
        public Builder integrityLimit(long v) { integrityLimit = v; return this; }

        /**
         * The settings, checked.
         *
         * @return the configuration
         * @throws IllegalArgumentException if a setting is out of range or they contradict each other
         */
        public TransportConfig build() {
            return new TransportConfig(mtu, ipv6, unscheduledBytes, grantWindow, overcommit, maxMessageSize, resendInterval,
                    rpcTimeout, maxRpcsPerPeer, maxUnauthenticatedBytes, maxUnauthenticatedBytesTotal, maxReassemblyBytes,
                    maxReassemblyBytesTotal, unauthenticatedTimeout, keyUpdateLimit, replayWindow, integrityLimit);
        }
    }
}
