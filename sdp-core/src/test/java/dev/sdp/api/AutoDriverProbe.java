package dev.sdp.api;

import dev.sdp.SdpSocket;
import dev.sdp.Statistic;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Run in a child JVM by {@link DriverSelectionTest}: one plaintext 200 kB echo between two sockets
 * with the default driver choice, then the client's datagrams and send calls on standard output.
 */
public final class AutoDriverProbe {
    private AutoDriverProbe() {
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        SdpSocket client;
        try (SdpSocket server = SdpSocket.builder().bind(loopback).handler(r -> r.reply(r.payload())).build()) {
            client = SdpSocket.builder().bind(loopback).build();
            client.installPlaintext(server.localAddress());
            server.installPlaintext(client.localAddress());
            ByteBuffer echo = client.callBlocking(server.localAddress(), ByteBuffer.allocate(200_000));
            if (echo.remaining() != 200_000) {
                throw new AssertionError("short echo");
            }
            // Counters read once the socket is closed: its I/O thread no longer sends meanwhile.
            client.close();
        }
        System.out.println("packets_out=" + client.statistics().get(Statistic.PACKETS_OUT)
                + " send_calls=" + client.statistics().get(Statistic.SEND_CALLS));
    }
}
