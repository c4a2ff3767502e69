package dev.sdp.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Datagrams the engine writes in one go for the I/O layer to send ({@link Engine#pollTransmit(long,
 * TransmitBatch)}): one direct buffer cut into equal slots of the largest datagram size, with each
 * datagram's destination and length. A full-size DATA packet fills its slot exactly, so the
 * consecutive packets of one message to one peer lie back to back in the buffer, as a batched
 * driver (UDP GSO, sendmmsg) wants them. Reused: {@link #clear} and fill again; no allocation per datagram.
 */
public final class TransmitBatch {
    private final ByteBuffer view;
    private final int slotSize;
    private final InetSocketAddress[] destinations;
    private final int[] lengths;
    private int count;

    /** A batch of up to {@code maxDatagrams} datagrams of at most {@code maxDatagramSize} bytes. */
    public TransmitBatch(int maxDatagrams, int maxDatagramSize) {
        if (maxDatagrams < 1 || maxDatagramSize < 64) {
            throw new IllegalArgumentException("a batch holds at least one datagram of at least 64 bytes");
        }
        this.slotSize = maxDatagramSize;
        this.view = ByteBuffer.allocateDirect(maxDatagrams * maxDatagramSize);
        this.destinations = new InetSocketAddress[maxDatagrams];
        this.lengths = new int[maxDatagrams];
    }

    /** Datagrams the batch holds when full. */
    public int capacity() {
        return destinations.length;
    }

    /** Datagrams in the batch. */
    public int count() {
        return count;
    }

    /** Where datagram {@code i} goes. */
    public InetSocketAddress destination(int i) {
        return destinations[i];
    }

    /**
     * Datagram {@code i}, position to limit. The same view object serves every call, so it is valid
     * until the next call to this method.
     */
    public ByteBuffer datagram(int i) {
        int start = i * slotSize;
        return view.limit(start + lengths[i]).position(start);
    }

    /**
     * How many datagrams from {@code from} on lie back to back and go to the same destination: each
     * but the last fills its slot, so they are consecutive equal-size datagrams in memory, as one
     * UDP GSO call sends them. At most {@code most}.
     */
    public int runLength(int from, int most) {
        int end = from + 1;
        while (end < count && end - from < most && lengths[end - 1] == slotSize && destinations[end].equals(destinations[from])) {
            end++;
        }
        return end - from;
    }

    /** Datagrams {@code from} to {@code from + length - 1} as one region (see {@link #runLength}), with {@link #datagram}'s view. */
    public ByteBuffer run(int from, int length) {
        int start = from * slotSize;
        int last = from + length - 1;
        return view.limit(last * slotSize + lengths[last]).position(start);
    }

    /** The size of a full slot: the segment size of a run of more than one datagram. */
    public int slotSize() {
        return slotSize;
    }

    /** Empties the batch for the next round. */
    public void clear() {
        for (int i = 0; i < count; i++) {
            destinations[i] = null;
        }
        count = 0;
    }

    /** Something that writes one datagram at a time, as {@link Engine#pollTransmit(ByteBuffer)} does. */
    @FunctionalInterface
    public interface Source {
        /** Writes the next datagram at {@code out}'s position (advancing it) and returns its destination, or null. */
        InetSocketAddress poll(ByteBuffer out);
    }

    /** Adds datagrams from {@code source} until the batch is full or the source has none; returns how many. */
    public int fill(Source source) {
        int added = 0;
        while (count < destinations.length) {
            int start = count * slotSize;
            ByteBuffer slot = view.limit(start + slotSize).position(start);
            InetSocketAddress to = source.poll(slot);
            if (to == null) {
                break;
            }
            destinations[count] = to;
            lengths[count] = slot.position() - start;
            count++;
            added++;
        }
        return added;
    }
}
