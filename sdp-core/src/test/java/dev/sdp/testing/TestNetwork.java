package dev.sdp.testing;

import dev.sdp.transport.TransportConfig;
import dev.sdp.wire.DataHeader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A simulated network of sans-IO endpoints (protocol engines, handshake layers) driven on one
 * thread with a fake clock, so that one seed is one run, whatever the machine's load.
 *
 * <p>Each endpoint sends through its own uplink and receives through its own downlink, both of
 * {@link #BYTES_PER_NANO} (an 8 Gbit/s port), with {@link #LATENCY_NANOS} between them: many
 * senders to one receiver queue at the receiver's port as at a switch, which is what receiver-driven
 * grants are for. Each direction of each link can drop, duplicate, reorder and corrupt datagrams
 * ({@link Impairment}). An endpoint can be starved of CPU ({@link #starve}), as a descheduled
 * process is: it neither receives, transmits nor runs timers, and what arrives for it meanwhile
 * waits. Queues are unbounded: nothing is lost that an impairment does not drop.
 *
 * <p>{@link #direct} makes a network without any of that, which hands each datagram to its receiver
 * in the sender's buffer at once, so a benchmark driving engines through it measures the engines.
 */
public final class TestNetwork {
    /** Bytes per nanosecond of every port. */
    private static final double BYTES_PER_NANO = 1.0;
    /** One-way propagation and switching delay. */
    private static final long LATENCY_NANOS = 5_000;
    /** Longest extra delay of a reordered datagram. */
    private static final int REORDER_NANOS = 200_000;
    /** Longest extra delay of a duplicate. */
    private static final int DUPLICATE_NANOS = 100_000;
    /** Where a corrupted header ends and a corrupted payload begins (the DATA header; control packets are shorter). */
    private static final int HEADER_BYTES = DataHeader.LENGTH;
    /** Simulated steps one {@link #runUntil} may take: far more than any test needs, so a livelock fails instead of hanging. */
    private static final int MAX_STEPS = 20_000_000;
    /** Datagrams or events one endpoint may produce at one instant before it is taken to be looping. */
    private static final int MAX_BURST = 1 << 16;

    /** The sans-IO shape the network drives, which {@code Engine} and {@code Sessions} have. */
    public interface Endpoint {
        /** Takes one datagram (position to limit); the buffer is only valid during the call. */
        void receive(InetSocketAddress from, ByteBuffer datagram, long now);

        /** Writes the next datagram at {@code out}'s position and returns its destination, or returns null. */
        InetSocketAddress pollTransmit(ByteBuffer out);

        /** Runs what is due; called once {@link #nextTimerNanos} has passed. */
        void onTimer(long now);

        /** When {@link #onTimer} wants to run, or Long.MAX_VALUE. */
        long nextTimerNanos();

        /** Handles the application events pending (answers requests, records outcomes); returns whether there were any. */
        boolean drainEvents(long now);
    }

    /** What one direction of a link does to each datagram, independently; all zero at first. */
    public static final class Impairment {
        public double drop;
        public double duplicate;
        public double reorder;
        public double corruptHeader;
        public double corruptPayload;
        /** Losses a test picks by content, on top of the random ones; sees every datagram sent on the link. */
        public Predicate<ByteBuffer> dropWhen = datagram -> false;
    }

    private record Link(InetSocketAddress from, InetSocketAddress to) { }

    /** A datagram on the wire: on its way to the receiver's port, or through it and due for delivery. */
    private record InFlight(long at, long seq, InetSocketAddress from, InetSocketAddress to, byte[] bytes, boolean throughPort) { }

    private static final class Node {
        final InetSocketAddress address;
        final Endpoint endpoint;
        final ArrayDeque<InFlight> backlog = new ArrayDeque<>();
        long uplinkFreeAt;
        long downlinkFreeAt;
        long starvedUntil = Long.MIN_VALUE;
        /**
         * Whether it may have datagrams to send: it received, ran its timer or handled events since
         * it last had none. Polling only then keeps the engines' own cost of an empty poll out of
         * what a benchmark measures.
         */
        boolean dirty;

        Node(InetSocketAddress address, Endpoint endpoint) {
            this.address = address;
            this.endpoint = endpoint;
        }

        boolean starved(long now) {
            return now < starvedUntil;
        }
    }

    private final boolean direct;
    private final Random random;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<InetSocketAddress, Node> byAddress = new HashMap<>();
    private final Impairment allLinks = new Impairment();
    private final Map<Link, Impairment> links = new HashMap<>();
    private final Map<InetSocketAddress, List<byte[]>> logs = new HashMap<>();
    private final PriorityQueue<InFlight> wire = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final ByteBuffer out = ByteBuffer.allocate(1 << 16);
    private long seq;
    private long now = 1_000_000_000L;

    /** A network with rate, latency and (once set) impairments, all drawn from {@code seed}. */
    public TestNetwork(long seed) {
        this(seed, false);
    }

    private TestNetwork(long seed, boolean direct) {
        this.random = new Random(seed);
        this.direct = direct;
    }

    /**
     * A network of zero latency and unlimited rate that cannot be impaired or starve anyone: each
     * datagram goes to its receiver at once, in the sender's buffer, without a copy.
     */
    public static TestNetwork direct(long seed) {
        return new TestNetwork(seed, true);
    }

    /** The simulated time in nanoseconds. */
    public long now() {
        return now;
    }

    /** The seeded source of every random choice of a run: impairments, and keys and payloads tests draw. */
    public Random random() {
        return random;
    }

    /** Puts {@code endpoint} on the network at {@code address}. */
    public <E extends Endpoint> E add(InetSocketAddress address, E endpoint) {
        Node node = new Node(address, endpoint);
        if (byAddress.putIfAbsent(address, node) != null) {
            throw new IllegalArgumentException(address + " is taken");
        }
        nodes.add(node);
        return endpoint;
    }

    /** A protocol engine on the network at {@code address}. */
    public EngineEndpoint engine(InetSocketAddress address, TransportConfig config) {
        return add(address, new EngineEndpoint(this, address, config));
    }

    /** Takes the endpoint at {@code address} off the network, as a machine that died: what is sent to it is lost. */
    public void remove(InetSocketAddress address) {
        nodes.remove(byAddress.remove(address));
    }

    /** The impairment of every link that has none of its own. */
    public Impairment allLinks() {
        requireImpairable();
        return allLinks;
    }

    /** The impairment of datagrams from {@code from} to {@code to} only (from now on it no longer follows {@link #allLinks}). */
    public Impairment link(InetSocketAddress from, InetSocketAddress to) {
        requireImpairable();
        return links.computeIfAbsent(new Link(from, to), l -> new Impairment());
    }

    /** Deschedules the endpoint at {@code address} for {@code nanos} of simulated time from now. */
    public void starve(InetSocketAddress address, long nanos) {
        requireImpairable();
        Node node = byAddress.get(address);
        node.starvedUntil = Math.max(node.starvedUntil, now + nanos);
    }

    private void requireImpairable() {
        if (direct) {
            throw new IllegalStateException("a direct network has no impairments and starves no one");
        }
    }

    /** From now on, a copy of every datagram {@code from} sends, as sent (before impairments), in order. */
    public List<byte[]> log(InetSocketAddress from) {
        return logs.computeIfAbsent(from, a -> new ArrayList<>());
    }

    /** Hands {@code datagram} to the endpoint at {@code to} now, as if {@code from} had sent it (an attacker's or a replay). */
    public void inject(InetSocketAddress from, InetSocketAddress to, byte[] datagram) {
        Node node = byAddress.get(to);
        deliver(node, new InFlight(now, seq++, from, to, datagram, true));
    }

    /** Hands an endpoint's pending events from {@code poll} to {@code handle}; returns whether there were any. */
    public static <T> boolean drain(Supplier<T> poll, Consumer<? super T> handle) {
        for (int n = 0; n < MAX_BURST; n++) {
            T event = poll.get();
            if (event == null) {
                return n > 0;
            }
            handle.accept(event);
        }
        throw new IllegalStateException("more than " + MAX_BURST + " events at one instant");
    }

    /** Runs for {@code nanos} of simulated time. */
    public void run(long nanos) {
        runUntil(() -> false, nanos);
    }

    /**
     * Runs until {@code done} holds, checked whenever the endpoints have nothing more to do at the
     * current instant, or until {@code maxNanos} of simulated time have passed; returns whether done.
     */
    public boolean runUntil(BooleanSupplier done, long maxNanos) {
        long end = now + maxNanos;
        // The caller may have acted on any endpoint directly since the last run.
        for (int i = 0; i < nodes.size(); i++) {
            nodes.get(i).dirty = true;
        }
        for (int step = 0; step < MAX_STEPS; step++) {
            settle();
            if (done.getAsBoolean()) {
                return true;
            }
            if (now >= end) {
                return false;
            }
            now = Math.max(now, Math.min(end, nextEvent()));
            wake();
            deliverDue();
            for (int i = 0; i < nodes.size(); i++) {
                Node node = nodes.get(i);
                if (!node.starved(now) && node.endpoint.nextTimerNanos() <= now) {
                    node.endpoint.onTimer(now);
                    node.dirty = true;
                }
            }
        }
        throw new IllegalStateException("no end after " + MAX_STEPS + " steps at " + now + " ns");
    }

    /** Lets every running endpoint handle its events and send until none has anything left at this instant. */
    private void settle() {
        for (int pass = 0; pass < MAX_BURST; pass++) {
            boolean moved = false;
            for (int i = 0; i < nodes.size(); i++) {
                Node node = nodes.get(i);
                if (!node.starved(now)) {
                    if (node.endpoint.drainEvents(now)) {
                        moved = true;
                        node.dirty = true;
                    }
                    if (node.dirty) {
                        node.dirty = false;
                        moved |= transmit(node);
                    }
                }
            }
            if (!moved) {
                return;
            }
        }
        throw new IllegalStateException("endpoints still busy after " + MAX_BURST + " passes at " + now + " ns");
    }

    private boolean transmit(Node node) {
        List<byte[]> log = logs.get(node.address);
        for (int n = 0; n < MAX_BURST; n++) {
            InetSocketAddress to = node.endpoint.pollTransmit(out.clear());
            if (to == null) {
                return n > 0;
            }
            out.flip();
            if (log != null) {
                log.add(copy(out));
            }
            if (direct) {
                Node receiver = byAddress.get(to);
                if (receiver != null) {
                    receive(receiver, node.address, out);
                }
            } else {
                send(node, to, copy(out));
            }
        }
        throw new IllegalStateException(node.address + " sent more than " + MAX_BURST + " datagrams at " + now + " ns");
    }

    private static byte[] copy(ByteBuffer datagram) {
        byte[] bytes = new byte[datagram.remaining()];
        datagram.duplicate().get(bytes);
        return bytes;
    }

    /** Puts a datagram on the sender's uplink and through the link's impairments. */
    private void send(Node from, InetSocketAddress to, byte[] bytes) {
        long sent = Math.max(now, from.uplinkFreeAt) + serialization(bytes.length);
        from.uplinkFreeAt = sent;
        Impairment im = links.getOrDefault(new Link(from.address, to), allLinks);
        if (im.dropWhen.test(ByteBuffer.wrap(bytes)) || random.nextDouble() < im.drop) {
            return;
        }
        if (random.nextDouble() < im.corruptHeader) {
            flipBit(bytes, 0, Math.min(bytes.length, HEADER_BYTES));
        }
        if (bytes.length > HEADER_BYTES && random.nextDouble() < im.corruptPayload) {
            flipBit(bytes, HEADER_BYTES, bytes.length);
        }
        long arrival = sent + LATENCY_NANOS;
        long delay = random.nextDouble() < im.reorder ? random.nextInt(REORDER_NANOS) : 0;
        wire.add(new InFlight(arrival + delay, seq++, from.address, to, bytes, false));
        if (random.nextDouble() < im.duplicate) {
            wire.add(new InFlight(arrival + random.nextInt(DUPLICATE_NANOS), seq++, from.address, to, bytes.clone(), false));
        }
    }

    private void flipBit(byte[] bytes, int from, int to) {
        int i = from + random.nextInt(to - from);
        bytes[i] ^= (byte) (1 << random.nextInt(8));
    }

    private static long serialization(int bytes) {
        return (long) (bytes / BYTES_PER_NANO);
    }

    private long nextEvent() {
        long next = wire.isEmpty() ? Long.MAX_VALUE : wire.peek().at;
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            next = Math.min(next, node.starved(now) ? node.starvedUntil : node.endpoint.nextTimerNanos());
        }
        return next;
    }

    /** Hands endpoints whose starvation ended what queued up for them, before anything newer. */
    private void wake() {
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            if (!node.starved(now)) {
                for (InFlight f; (f = node.backlog.poll()) != null; ) {
                    deliver(node, f);
                }
            }
        }
    }

    /**
     * Moves what is due off the wire. A datagram reaching its receiver's port leaves it no sooner
     * than one serialization after the one before, so senders to one receiver share its port.
     */
    private void deliverDue() {
        while (!wire.isEmpty() && wire.peek().at <= now) {
            InFlight f = wire.poll();
            Node receiver = byAddress.get(f.to);
            if (receiver == null) {
                continue;
            }
            if (!f.throughPort) {
                long leaves = Math.max(f.at, receiver.downlinkFreeAt + serialization(f.bytes.length));
                receiver.downlinkFreeAt = leaves;
                if (leaves > f.at) {
                    wire.add(new InFlight(leaves, seq++, f.from, f.to, f.bytes, true));
                    continue;
                }
            }
            deliver(receiver, f);
        }
    }

    private void deliver(Node receiver, InFlight f) {
        if (receiver.starved(now)) {
            receiver.backlog.add(f);
        } else {
            receive(receiver, f.from, ByteBuffer.wrap(f.bytes));
        }
    }

    private void receive(Node receiver, InetSocketAddress from, ByteBuffer datagram) {
        receiver.endpoint.receive(from, datagram, now);
        receiver.dirty = true;
    }
}
