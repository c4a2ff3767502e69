package dev.sdp.io;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Moves datagrams between the engine and the kernel. The java.nio implementation sends and
 * receives one datagram per system call; the Linux one hands runs of datagrams to the kernel and
 * back in one call each (UDP GSO and GRO). Calls to the send methods, and calls to {@link #receive},
 * come from one thread at a time.
 */
public interface DatagramDriver extends Closeable {
    /** Receives one datagram into {@code into} if one is waiting (without blocking); returns its sender or null. */
    InetSocketAddress receive(ByteBuffer into) throws IOException;

    /**
     * Sends one datagram (position to limit) if the socket has room for it now; returns false,
     * leaving the datagram untouched, when it has not (the send buffer is full), so the caller may
     * try again.
     */
    boolean send(ByteBuffer datagram, InetSocketAddress to) throws IOException;

    /**
     * How many datagrams of {@code segmentSize} bytes one {@link #sendSegments} call hands to the
     * kernel at once: 1 when the driver sends one datagram per call.
     */
    default int maxSegments(int segmentSize) {
        return 1;
    }

    /**
     * Sends position to limit as consecutive datagrams of {@code segmentSize} bytes (the last may
     * be shorter), all to {@code to}. Returns true when all went; false when the socket had no room
     * for the rest, with the position after the datagrams that went, so the caller may try again.
     */
    default boolean sendSegments(ByteBuffer datagrams, int segmentSize, InetSocketAddress to) throws IOException {
        int end = datagrams.limit();
        try {
            while (datagrams.position() < end) {
                int next = Math.min(end, datagrams.position() + segmentSize);
                datagrams.limit(next);
                if (!send(datagrams, to)) {
                    return false;
                }
                datagrams.position(next);
            }
            return true;
        } finally {
            datagrams.limit(end);
        }
    }

    /** Blocks until a datagram may be waiting, {@link #wakeup} is called, or {@code timeoutNanos} pass. */
    void await(long timeoutNanos) throws IOException;

    /** Makes a thread blocked in {@link #await} return. */
    void wakeup();

    /**
     * The socket's receive buffer as the kernel reports it (Linux reports twice what it will queue
     * in payload, to cover its bookkeeping): the receiver's grants are sized to it.
     */
    int receiveBufferBytes() throws IOException;

    /** The bound local address. */
    InetSocketAddress localAddress() throws IOException;
}
