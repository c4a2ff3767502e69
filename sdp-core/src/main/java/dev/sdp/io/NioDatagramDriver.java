package dev.sdp.io;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * A {@link DatagramDriver} over a non-blocking {@link DatagramChannel} and a {@link Selector}. It
 * asks for 8 MiB socket buffers each way; the kernel grants at most {@code net.core.rmem_max} and
 * {@code wmem_max}. What each socket obtained is logged (DEBUG); a receive buffer under 1 MiB, which
 * throttles a receiver's grants, is a WARNING once per process. Forcing past the limit needs
 * privileges and {@code SO_RCVBUFFORCE}, which java.nio cannot set.
 */
public final class NioDatagramDriver implements DatagramDriver {
    private static final int SOCKET_BUFFER = 8 << 20;
    /** A receive buffer that holds less payload than this throttles the grants of a loaded receiver. */
    static final int SMALL_RECEIVE_BUFFER = 1 << 20;
    private static final System.Logger LOG = System.getLogger(NioDatagramDriver.class.getName());
    private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

    private final DatagramChannel channel;
    private final Selector selector;

    /** Binds to {@code address} (port 0 picks a free port); IPv4 and IPv6 both work. */
    public NioDatagramDriver(InetSocketAddress address) throws IOException {
        channel = DatagramChannel.open(address.getAddress() instanceof java.net.Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
        try {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            channel.bind(address);
            logReceiveBuffer();
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    private void logReceiveBuffer() throws IOException {
        int reported = receiveBufferBytes();
        // Linux reports twice the payload it queues.
        boolean small = reported / 2 < SMALL_RECEIVE_BUFFER;
        LOG.log(small && WARNED.compareAndSet(false, true) ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                "UDP socket {0}: receive buffer {1} bytes as the kernel reports it (asked for {2} of payload; the kernel caps it at"
                        + " net.core.rmem_max): grants are sized to it", channel.getLocalAddress(), reported, SOCKET_BUFFER);
    }

    @Override
    public int receiveBufferBytes() throws IOException {
        return channel.getOption(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public InetSocketAddress receive(ByteBuffer into) throws IOException {
        return (InetSocketAddress) channel.receive(into);
    }

    @Override
    public boolean send(ByteBuffer datagram, InetSocketAddress to) throws IOException {
        return channel.send(datagram, to) > 0 || !datagram.hasRemaining();
    }

    @Override
    public void await(long timeoutNanos) throws IOException {
        long millis = Math.max(1, timeoutNanos / 1_000_000);
        selector.select(millis);
        selector.selectedKeys().clear();
    }

    @Override
    public void wakeup() {
        selector.wakeup();
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
