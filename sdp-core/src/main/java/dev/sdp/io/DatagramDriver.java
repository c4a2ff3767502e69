package dev.sdp.io;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Moves datagrams between the engine and the kernel. The java.nio implementation sends and
 * receives one datagram per call; a batched Linux driver (sendmmsg/recvmmsg, UDP GSO/GRO) can
 * implement the same contract.
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
