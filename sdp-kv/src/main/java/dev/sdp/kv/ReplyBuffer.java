package dev.sdp.kv;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A client's replies not yet written: the store writes a command's reply here while it holds its
 * lock, and the connection sends it after the lock is released, so a client that does not read can
 * never hold up the store. The memory is a {@link ClientMemory.Buffer}: a reply that would take the
 * buffer past its limit, or all clients' buffers past theirs, fails with a
 * {@link ClientMemory.LimitException}.
 */
final class ReplyBuffer extends OutputStream {
    /** Largest single write to the socket, so a write timeout measures progress rather than a reply's length. */
    private static final int SLICE = 64 * 1024;

    private final ClientMemory.Buffer memory;
    private final Resp.Writer writer = new Resp.Writer(this);
    private byte[] bytes = new byte[0];
    private int count;

    ReplyBuffer(ClientMemory.Buffer memory) {
        this.memory = memory;
    }

    /** Writes replies into this buffer. */
    Resp.Writer writer() {
        return writer;
    }

    /** Bytes not yet sent. */
    int size() {
        return count;
    }

    @Override
    public void write(int b) throws IOException {
        ensure(1);
        bytes[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensure(len);
        System.arraycopy(b, off, bytes, count, len);
        count += len;
    }

    private void ensure(int more) throws ClientMemory.LimitException {
        long needed = (long) count + more;
        if (needed <= bytes.length) {
            return;
        }
        // Double, as usual, but never past the limit while the replies themselves fit under it.
        long doubled = Math.max(2L * bytes.length, ClientMemory.UNCOUNTED);
        long grown = Math.max(needed, Math.min(doubled, memory.limit()));
        memory.take(grown - bytes.length);
        bytes = Arrays.copyOf(bytes, (int) grown);
    }

    /** Drops what was written after the first {@code size} bytes (a reply that did not fit). */
    void truncate(int size) {
        count = Math.min(count, size);
    }

    /** The replies, as one buffer to send over SDP; valid until {@link #clear}. */
    ByteBuffer contents() {
        return ByteBuffer.wrap(bytes, 0, count);
    }

    /** Sends the replies to {@code out}, then {@link #clear}s. */
    void writeTo(OutputStream out) throws IOException {
        for (int off = 0; off < count; off += SLICE) {
            out.write(bytes, off, Math.min(SLICE, count - off));
        }
        clear();
    }

    /** Empties the buffer; memory beyond the part the global limit does not count is given back. */
    void clear() {
        count = 0;
        if (bytes.length > ClientMemory.UNCOUNTED) {
            memory.releaseAll();
            bytes = new byte[0];
        }
    }
}
