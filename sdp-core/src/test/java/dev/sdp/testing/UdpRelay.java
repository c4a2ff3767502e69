package dev.sdp.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A man in the middle on loopback: clients talk to {@link #address()}, the relay forwards to the
 * server from that same socket (so the server sees one peer address, whoever the client is) and
 * sends answers back to the latest client. It records what clients send and can send recorded or
 * forged datagrams to the server later, as an attacker on the path would.
 */
public final class UdpRelay implements AutoCloseable {
    private final DatagramChannel channel;
    private final InetSocketAddress server;
    private final Thread thread;
    private final List<byte[]> fromClients = new CopyOnWriteArrayList<>();
    private volatile SocketAddress client;
    private volatile boolean closed;
    private volatile Predicate<byte[]> dropToServer = b -> false;

    public UdpRelay(InetSocketAddress server) throws IOException {
        this.server = server;
        this.channel = DatagramChannel.open().bind(new InetSocketAddress(server.getAddress(), 0));
        this.thread = Thread.ofPlatform().daemon().name("udp-relay").start(this::run);
    }

    /** Where clients send. */
    public InetSocketAddress address() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /** Every datagram clients sent, in order. */
    public List<byte[]> fromClients() {
        return fromClients;
    }

    /** Datagrams toward the server matching this are recorded but not forwarded. */
    public void dropToServer(Predicate<byte[]> drop) {
        this.dropToServer = drop;
    }

    /** Sends {@code datagram} to the server from the relay's address. */
    public void sendToServer(byte[] datagram) throws IOException {
        channel.send(ByteBuffer.wrap(datagram), server);
    }

    private void run() {
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        while (!closed) {
            try {
                buffer.clear();
                SocketAddress from = channel.receive(buffer);
                buffer.flip();
                if (from.equals(server)) {
                    if (client != null) {
                        channel.send(buffer, client);
                    }
                } else {
                    client = from;
                    byte[] bytes = new byte[buffer.remaining()];
                    buffer.get(bytes);
                    fromClients.add(bytes);
                    if (!dropToServer.test(bytes)) {
                        channel.send(ByteBuffer.wrap(bytes), server);
                    }
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
