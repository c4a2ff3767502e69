package dev.sdp.kv;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes {@link Resp.Reader}, as the servers read commands ({@code readCommand}) and the client
 * reads replies ({@code readValue}), with arbitrary bytes: the first byte picks the method and the
 * bulk limit (from none to the client's Long.MAX_VALUE), the rest is the stream, read to its end.
 *
 * <p>Invariants: the reader throws nothing but {@link Resp.ProtocolException} for malformed input and
 * {@link EOFException} for a stream that ends inside a command or a reply (both IOExceptions, which
 * the servers turn into an error reply or a closed connection; anything else escapes them); what it
 * returns is within its limits (at most {@link Resp#MAX_ARRAY} elements, bulk strings within the
 * limit, inline words and simple strings within a 64 KiB line); and each command or reply read
 * allocates within {@link #allocationBound} of the bytes it consumed.
 */
class RespFuzzTest {
    private static final long[] MAX_BULK = {0, 16, 1000, KvServer.MAX_BULK, Long.MAX_VALUE};
    /** The reader's line limit. */
    private static final int MAX_LINE = 64 * 1024;
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @FuzzTest
    void readerThrowsOnlyProtocolErrors(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        boolean commands = (input[0] & 1) == 0;
        long maxBulk = MAX_BULK[((input[0] & 0xFF) >> 1) % MAX_BULK.length];
        // Allocation measured on this thread also counts one-off work of the JVM and of Jazzer's
        // hooks there (loading and instrumenting classes on a path taken for the first time, a
        // hook's first call); the reader's own allocation is the same on every run, so an excess
        // counts only if it repeats.
        long excess = read(input, commands, maxBulk);
        for (int run = 1; run < 3 && excess > 0; run++) {
            excess = Math.min(excess, read(input, commands, maxBulk));
        }
        assertTrue(excess <= 0, "a read allocated " + excess + " bytes more than its bound");
    }

    /**
     * Found by reading the code while writing this target, beyond what the fuzzer reaches: nothing
     * rewards libFuzzer for growing an input to the thousands of nesting levels it takes.
     */
    @Test
    void deeplyNestedRepliesAreAProtocolError() throws IOException {
        byte[] nested = ("\u0001" + "*1\r\n".repeat(200_000)).getBytes(StandardCharsets.ISO_8859_1);
        read(nested, false, 1000);
    }

    /**
     * Reads the stream after the first byte to its end, command by command or value by value;
     * returns by how much the most any one read allocated exceeds {@link #allocationBound}.
     */
    private static long read(byte[] input, boolean commands, long maxBulk) throws IOException {
        ByteArrayInputStream stream = new ByteArrayInputStream(input, 1, input.length - 1);
        Resp.Reader reader = new Resp.Reader(stream, maxBulk);
        long excess = Long.MIN_VALUE;
        boolean more = true;
        while (more) {
            int available = stream.available();
            long before = THREADS.getCurrentThreadAllocatedBytes();
            try {
                if (commands) {
                    List<byte[]> command = reader.readCommand();
                    more = command != null;
                    if (more) {
                        assertTrue(command.size() <= Resp.MAX_ARRAY);
                        for (byte[] arg : command) {
                            assertTrue(arg.length <= Math.max(maxBulk, MAX_LINE), "an argument of " + arg.length + " bytes");
                        }
                    }
                } else {
                    checkLimits(reader.readValue(), maxBulk);
                }
            } catch (Resp.ProtocolException | EOFException expected) {
                // Malformed or cut short: what a reader may say of arbitrary bytes; the stream is done.
                more = false;
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            excess = Math.max(excess, allocated - allocationBound(available - stream.available()));
        }
        return excess;
    }

    private static void checkLimits(Resp.Value value, long maxBulk) {
        switch (value) {
            case Resp.Value.Bulk b -> assertTrue(b.bytes() == null || b.bytes().length <= maxBulk);
            case Resp.Value.Simple s -> assertTrue(s.text().length() <= MAX_LINE);
            case Resp.Value.Error e -> assertTrue(e.text().length() <= MAX_LINE);
            case Resp.Value.Array a -> {
                if (a.items() != null) {
                    assertTrue(a.items().size() <= Resp.MAX_ARRAY);
                    a.items().forEach(item -> checkLimits(item, maxBulk));
                }
            }
            case Resp.Value.Int i -> { }
        }
    }

    /**
     * What one read that consumes {@code consumed} bytes may allocate. A declared bulk length may
     * cost its chunk and initial buffer, min(length, 64 KiB) each, before its bytes arrive;
     * everything else grows with the bytes that do arrive: the dearest measured are nested arrays
     * and short replies, about 60 bytes per byte, so 128 per byte leaves room for the instrumented
     * code of fuzzing mode; the 16 KiB covers a read's fixed costs, such as the pattern
     * {@code String.split} compiles for each inline command (about 850 bytes). A reader that sized
     * anything by a declared length beyond its limits would exceed this for all but huge inputs.
     */
    private static long allocationBound(long consumed) {
        return 128 * consumed + 2L * 64 * 1024 + 16 * 1024;
    }
}
