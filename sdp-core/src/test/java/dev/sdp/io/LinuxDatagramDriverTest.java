package dev.sdp.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The batched Linux driver against the java.nio one, both ways, over loopback. */
@Timeout(30)
class LinuxDatagramDriverTest {
    @BeforeAll
    static void onLinux() {
        assumeTrue("Linux".equals(System.getProperty("os.name")), "the Linux driver is for Linux");
        // On Linux it must work: a silent fallback to java.nio would leave the batched path untested.
        assertNull(LinuxDatagramDriver.unavailable(), () -> "the Linux driver is unavailable: " + LinuxDatagramDriver.unavailable());
    }

    private static byte[] datagram(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Receives up to {@code count} datagrams within 5 s (bounded), each with its sender checked. */
    private static List<byte[]> receive(DatagramDriver driver, int count, InetSocketAddress from) throws Exception {
        List<byte[]> got = new ArrayList<>();
        ByteBuffer into = ByteBuffer.allocateDirect(1 << 16);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (got.size() < count && System.nanoTime() < deadline) {
            into.clear();
            InetSocketAddress sender = driver.receive(into);
            if (sender == null) {
                driver.await(10_000_000L);
                continue;
            }
            assertEquals(from, sender);
            into.flip();
            byte[] bytes = new byte[into.remaining()];
            into.get(bytes);
            got.add(bytes);
        }
        return got;
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void datagramsGoBothWaysWithTheirSenders(String host) throws Exception {
        try (LinuxDatagramDriver linux = new LinuxDatagramDriver(new InetSocketAddress(host, 0));
             NioDatagramDriver nio = new NioDatagramDriver(new InetSocketAddress(host, 0))) {
            Random random = new Random(1);
            List<byte[]> sent = new ArrayList<>();
            for (int length : new int[] {1, 100, 1472, 9000, 65_000}) {
                byte[] bytes = datagram(random, length);
                sent.add(bytes);
                assertTrue(linux.send(ByteBuffer.wrap(bytes), nio.localAddress()));
            }
            List<byte[]> atNio = receive(nio, sent.size(), linux.localAddress());
            for (byte[] bytes : sent) {
                ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
                assertTrue(nio.send(direct, linux.localAddress()));
            }
            List<byte[]> atLinux = receive(linux, sent.size(), nio.localAddress());
            for (int i = 0; i < sent.size(); i++) {
                assertArrayEquals(sent.get(i), atNio.get(i));
                assertArrayEquals(sent.get(i), atLinux.get(i));
            }
            assertEquals(host.equals("::1") ? 16 : 4, linux.localAddress().getAddress().getAddress().length);
        }
    }

    /** One GSO call: 40 segments of 1400 bytes and a short last one arrive as 41 datagrams, in order, intact. */
    @Test
    void aRunOfSegmentsArrivesAsSeparateDatagrams() throws Exception {
        try (LinuxDatagramDriver linux = new LinuxDatagramDriver(new InetSocketAddress("127.0.0.1", 0));
             NioDatagramDriver nio = new NioDatagramDriver(new InetSocketAddress("127.0.0.1", 0))) {
            byte[] all = datagram(new Random(2), 40 * 1400 + 333);
            assertTrue(linux.maxSegments(1400) >= 41, "41 segments of 1400 bytes fit one call");
            ByteBuffer run = ByteBuffer.allocateDirect(all.length).put(all).flip();
            assertTrue(linux.sendSegments(run, 1400, nio.localAddress()));
            assertEquals(run.limit(), run.position(), "all of it went");
            List<byte[]> got = receive(nio, 41, linux.localAddress());
            assertEquals(41, got.size());
            for (int i = 0; i < 41; i++) {
                int from = i * 1400;
                byte[] expected = Arrays.copyOfRange(all, from, Math.min(all.length, from + 1400));
                assertArrayEquals(expected, got.get(i), "datagram " + i);
            }
        }
    }

    /**
     * A burst of equal-size datagrams the kernel may hand over coalesced (GRO) comes out one datagram
     * at a time, then a different sender's datagram with its own address.
     */
    @Test
    void aCoalescedBurstIsGivenOutDatagramByDatagram() throws Exception {
        try (LinuxDatagramDriver linux = new LinuxDatagramDriver(new InetSocketAddress("127.0.0.1", 0));
             LinuxDatagramDriver sender = new LinuxDatagramDriver(new InetSocketAddress("127.0.0.1", 0));
             NioDatagramDriver other = new NioDatagramDriver(new InetSocketAddress("127.0.0.1", 0))) {
            byte[] all = datagram(new Random(3), 3 * 44 * 1200);
            ByteBuffer burst = ByteBuffer.allocateDirect(all.length).put(all).flip();
            for (int part = 0; part < 3; part++) {
                burst.limit((part + 1) * 44 * 1200).position(part * 44 * 1200);
                assertTrue(sender.sendSegments(burst, 1200, linux.localAddress()));
            }
            byte[] last = datagram(new Random(4), 77);
            assertTrue(other.send(ByteBuffer.wrap(last), linux.localAddress()));
            List<byte[]> got = receive(linux, 132, sender.localAddress());
            assertEquals(132, got.size());
            for (int i = 0; i < 132; i++) {
                assertArrayEquals(Arrays.copyOfRange(all, i * 1200, (i + 1) * 1200), got.get(i), "datagram " + i);
            }
            assertArrayEquals(last, receive(linux, 1, other.localAddress()).getFirst());
        }
    }

    /** A wake-up ends a wait at once, and a waiting datagram does too; an empty socket waits out its timeout. */
    @Test
    void awaitReturnsOnWakeupOnDataAndOnTimeout() throws Exception {
        try (LinuxDatagramDriver linux = new LinuxDatagramDriver(new InetSocketAddress("127.0.0.1", 0));
             NioDatagramDriver nio = new NioDatagramDriver(new InetSocketAddress("127.0.0.1", 0))) {
            long start = System.nanoTime();
            linux.await(20_000_000L);
            assertTrue(System.nanoTime() - start >= 19_000_000L, "waited its timeout");
            Thread waker = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                linux.wakeup();
            });
            start = System.nanoTime();
            linux.await(10_000_000_000L);
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "woken");
            waker.join();
            assertTrue(nio.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), linux.localAddress()));
            start = System.nanoTime();
            linux.await(10_000_000_000L);
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "a datagram ends the wait");
            assertEquals(nio.localAddress(), linux.receive(ByteBuffer.allocate(16)));
        }
    }

    /** A port in use is a BindException with the system's words, as java.nio reports it. */
    @Test
    void aPortInUseIsABindException() throws Exception {
        try (LinuxDatagramDriver first = new LinuxDatagramDriver(new InetSocketAddress("127.0.0.1", 0))) {
            BindException e = assertThrows(BindException.class, () -> new LinuxDatagramDriver(first.localAddress()));
            assertEquals("Address already in use", e.getMessage());
        }
    }

    @Test
    void theReceiveBufferIsAtLeastWhatJavaNioGets() throws Exception {
        try (LinuxDatagramDriver linux = new LinuxDatagramDriver(new InetSocketAddress("127.0.0.1", 0));
             NioDatagramDriver nio = new NioDatagramDriver(new InetSocketAddress("127.0.0.1", 0))) {
            assertTrue(linux.receiveBufferBytes() >= nio.receiveBufferBytes(), linux.receiveBufferBytes() + " < " + nio.receiveBufferBytes());
        }
    }
}
