package dev.sdp.io;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/** A {@link DatagramDriver} over a non-blocking {@link DatagramChannel} and a {@link Selector}. */
public final class NioDatagramDriver implements DatagramDriver {
    private static final int SOCKET_BUFFER = 8 << 20;

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
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
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
