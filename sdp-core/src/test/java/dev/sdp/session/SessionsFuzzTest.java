package dev.sdp.session;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sdp.testing.FuzzInput;
import dev.sdp.testing.TestCredentials;
import dev.sdp.transport.TransportStats;
import dev.sdp.wire.HandshakeHeader;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Fuzzes the server side of the handshake layer, {@link Sessions#receive}, with HANDSHAKE
 * datagrams from six source addresses on three IP addresses: raw bytes, genuine client datagrams
 * (captured once from a real handshake, its ClientHello split into several fragments) mutated, and
 * fragments cut by the fuzzer from the genuine client flights under fuzzer-chosen headers, so that
 * reassembly sees overlaps, gaps, lengths that disagree and flights out of turn; clock steps run
 * {@link Sessions#onTimer}. The server has test credentials and small caps.
 *
 * <p>Invariants, besides that nothing throws: unfinished server handshakes never exceed the total
 * cap, nor the per-source cap times the source IP addresses seen; each datagram received makes the
 * server send at most one flight (one datagram at fragment offset 0), of at most
 * {@link #MAX_SERVER_FLIGHT} bytes; a timer step makes a server send nothing (only clients
 * retransmit); and the datagrams sent are well-formed HANDSHAKE packets.
 */
class SessionsFuzzTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 2000);
    private static final InetSocketAddress[] SOURCES = {
        new InetSocketAddress("127.0.0.1", 1000), new InetSocketAddress("127.0.0.1", 1001),
        new InetSocketAddress("127.0.0.2", 1000), new InetSocketAddress("127.0.0.2", 1001),
        new InetSocketAddress("127.0.0.3", 1000), new InetSocketAddress("127.0.0.3", 1001),
    };
    private static final int MAX_DATAGRAM = 1472;
    private static final long MS = 1_000_000L;
    private static final HandshakeConfig SERVER_CONFIG = HandshakeConfig.builder(TestCredentials.get().server())
            .timeout(Duration.ofSeconds(1)).maxPendingPerSource(2).maxPendingTotal(4).build();
    /** Client datagrams of a genuine handshake, its ClientHello in fragments of 256 bytes (the least {@link Sessions} allows). */
    private static final List<byte[]> GENUINE = new ArrayList<>();
    /** The genuine client flights, whole, for the fuzzer to cut its own fragments from. */
    private static final List<byte[]> FLIGHTS = new ArrayList<>();
    private static final int GENUINE_NONCE;
    /**
     * The largest flight a server sends: its genuine first flight (certificate chain and all), plus
     * 2 KiB for what a different ClientHello can make it choose (a larger key share: ffdhe8192's is
     * 1 KiB; a longer signature).
     */
    private static final int MAX_SERVER_FLIGHT;

    static {
        Sessions client = new Sessions(HandshakeConfig.builder(TestCredentials.get().anonymousClient()).verifyHostname(false).build(),
                new TransportStats(), 256 + HandshakeHeader.LENGTH);
        Sessions server = new Sessions(SERVER_CONFIG, new TransportStats(), MAX_DATAGRAM);
        long now = 1_000_000_000L;
        client.connect(SERVER, now);
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        HandshakeHeader h = new HandshakeHeader();
        ByteArrayOutputStream[] flights = new ByteArrayOutputStream[4];
        boolean moved = true;
        while (moved) {
            moved = false;
            while (client.pollTransmit(buffer.clear()) != null) {
                byte[] d = datagram(buffer);
                GENUINE.add(d);
                collectFlight(h, d, flights);
                server.receive(SOURCES[0], ByteBuffer.wrap(d), now);
                moved = true;
            }
            while (server.pollTransmit(buffer.clear()) != null) {
                byte[] d = datagram(buffer);
                collectFlight(h, d, flights);
                client.receive(SERVER, ByteBuffer.wrap(d), now);
                moved = true;
            }
        }
        if (!(client.pollEvent() instanceof SessionEvent.Established)) {
            throw new IllegalStateException("the genuine handshake did not complete");
        }
        h.decode(ByteBuffer.wrap(GENUINE.getFirst()));
        GENUINE_NONCE = h.handshakeNonce;
        FLIGHTS.add(flights[0].toByteArray());
        FLIGHTS.add(flights[2].toByteArray());
        MAX_SERVER_FLIGHT = flights[1].size() + 2048;
    }

    private static byte[] datagram(ByteBuffer buffer) {
        byte[] d = new byte[buffer.position()];
        buffer.flip().get(d);
        return d;
    }

    /** Appends a genuine fragment to its flight: each side sends its fragments in order. */
    private static void collectFlight(HandshakeHeader h, byte[] d, ByteArrayOutputStream[] flights) {
        h.decode(ByteBuffer.wrap(d));
        if (flights[h.flight] == null) {
            flights[h.flight] = new ByteArrayOutputStream();
        }
        flights[h.flight].write(d, HandshakeHeader.LENGTH, d.length - HandshakeHeader.LENGTH);
    }

    /**
     * Plays a script: one step per opcode byte (modulo 6), its fields after it. 0: a raw datagram
     * (source, length, bytes); 1: a genuine datagram, mutated ({@link FuzzInput#mutate}); 2, 3: a
     * fragment of a genuine flight ({@link #fragment}); 4: a clock step of up to 0.65 s; 5: one of up to 65 s.
     */
    @FuzzTest
    void receiveKeepsBoundedState(byte[] script) {
        Sessions server = new Sessions(SERVER_CONFIG, new TransportStats(), MAX_DATAGRAM);
        FuzzInput in = new FuzzInput(script);
        Set<InetAddress> sourcesSeen = new HashSet<>();
        long now = 1_000_000_000L;
        while (in.more()) {
            int op = in.u8() % 6;
            if (op >= 4) {
                now += in.u16() * (op == 4 ? 10_000L : MS);
                server.onTimer(now);
                drain(server, 0);
                continue;
            }
            InetSocketAddress from = SOURCES[in.below(SOURCES.length)];
            byte[] datagram = switch (op) {
                case 0 -> checksummedIfAsked(in, in.bytes(in.below(MAX_DATAGRAM + 1)));
                case 1 -> checksummedIfAsked(in, in.mutate(GENUINE.get(in.below(GENUINE.size()))));
                default -> fragment(in);
            };
            sourcesSeen.add(from.getAddress());
            server.receive(from, ByteBuffer.wrap(datagram), now);
            drain(server, 1);
            int pending = server.pendingServerHandshakes();
            assertTrue(pending <= SERVER_CONFIG.maxPendingTotal()
                    && pending <= SERVER_CONFIG.maxPendingPerSource() * sourcesSeen.size(), pending + " handshakes pending");
        }
    }

    /**
     * A mutated datagram with its checksum made right again when the fuzzer says so, so mutations
     * reach reassembly and the TLS engine as well as the checksum check.
     */
    private static byte[] checksummedIfAsked(FuzzInput in, byte[] datagram) {
        if (in.u8() < 192 && datagram.length >= HandshakeHeader.LENGTH) {
            HandshakeHeader.sealChecksum(ByteBuffer.wrap(datagram));
        }
        return datagram;
    }

    /** A fragment cut from a genuine client flight, under a header whose every field the fuzzer picks. */
    private static byte[] fragment(FuzzInput in) {
        byte[] flight = FLIGHTS.get(in.below(FLIGHTS.size()));
        HandshakeHeader h = new HandshakeHeader();
        h.handshakeNonce = in.u8() < 192 ? GENUINE_NONCE : in.u16() - 1;
        h.flight = in.u8() % 4;
        int lengthChoice = in.u8();
        h.flightLength = lengthChoice < 192 ? flight.length : lengthChoice < 224 ? in.u16() : (long) in.u16() << 16 | in.u16();
        h.fragmentOffset = in.below(flight.length + 1);
        int n = Math.min(in.below(MAX_DATAGRAM - HandshakeHeader.LENGTH + 1), flight.length - (int) h.fragmentOffset);
        ByteBuffer d = ByteBuffer.allocate(HandshakeHeader.LENGTH + n);
        h.encode(d);
        d.position(HandshakeHeader.LENGTH).put(flight, (int) h.fragmentOffset, n);
        HandshakeHeader.sealChecksum(d.clear());
        return d.array();
    }

    /** Takes everything the server has to send, which must be at most {@code maxFlights} flights. */
    private static void drain(Sessions server, int maxFlights) {
        ByteBuffer out = ByteBuffer.allocate(MAX_DATAGRAM);
        HandshakeHeader h = new HandshakeHeader();
        int flights = 0;
        long bytes = 0;
        while (server.pollTransmit(out.clear()) != null) {
            out.flip();
            assertTrue(out.remaining() <= MAX_DATAGRAM && h.decode(out), "the server sent a malformed datagram");
            assertTrue(h.flightLength <= MAX_SERVER_FLIGHT, "a flight of " + h.flightLength + " bytes");
            if (h.fragmentOffset == 0) {
                flights++;
                assertTrue(flights <= maxFlights, "more than " + maxFlights + " flights for one step");
            }
            bytes += out.remaining() - HandshakeHeader.LENGTH;
            assertTrue(bytes <= (long) flights * MAX_SERVER_FLIGHT, "the server sent " + bytes + " bytes of " + flights + " flights");
        }
        SessionEvent e;
        while ((e = server.pollEvent()) != null) {
            assertTrue(e instanceof SessionEvent.Failed, "a handshake nobody finished established: " + e);
        }
    }
}
