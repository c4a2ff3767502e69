package dev.sdp.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
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
    /** Datagrams an attacker sends to the server just ahead of a client datagram, made from it. */
    private volatile Function<byte[], List<byte[]>> aheadOfClient = b -> List.of();
    /** A bad link, both ways: the share of datagrams lost, and of those delivered with one byte changed. */
    private volatile double lossRate;
    private volatile double corruptionRate;
    private final java.util.Random random = new java.util.Random(7);

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

    /**
     * Makes the relay a bad link in both directions: it loses {@code loss} of the datagrams and
     * flips a byte at a random place in {@code corruption} of the rest (the checksums a link
     * layer and UDP would have caught are assumed to have missed it).
     */
    public void impair(double loss, double corruption) {
        this.lossRate = loss;
        this.corruptionRate = corruption;
    }

    /** What the bad link makes of a datagram: null if lost, else the bytes, maybe with one flipped. */
    private byte[] across(byte[] datagram) {
        synchronized (random) {
            if (random.nextDouble() < lossRate) {
                return null;
            }
            if (datagram.length > 0 && random.nextDouble() < corruptionRate) {
                datagram[random.nextInt(datagram.length)] ^= (byte) (1 + random.nextInt(255));
            }
        }
        return datagram;
    }

    /**
     * Makes {@code ahead} produce, from each client datagram, datagrams that reach the server just
     * before it (as an attacker who sees the packet and is faster would send them).
     */
    public void sendAheadOfClient(Function<byte[], List<byte[]>> ahead) {
        this.aheadOfClient = ahead;
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
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                if (from.equals(server)) {
                    byte[] delivered = across(bytes);
                    if (client != null && delivered != null) {
                        channel.send(ByteBuffer.wrap(delivered), client);
                    }
                } else {
                    client = from;
                    fromClients.add(bytes.clone());
                    for (byte[] forged : aheadOfClient.apply(bytes.clone())) {
                        channel.send(ByteBuffer.wrap(forged), server);
                    }
                    byte[] delivered = dropToServer.test(bytes) ? null : across(bytes);
                    if (delivered != null) {
                        channel.send(ByteBuffer.wrap(delivered), server);
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
