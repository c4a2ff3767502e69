package dev.sdp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Recycled segment buffers: full segments come back, odd sizes never, and the idle pool is capped. */
class SegmentBuffersTest {
    @Test
    void aFullSegmentBufferIsReusedAndOddSizesAreExact() {
        byte[] full = SegmentBuffers.take(SegmentBuffers.SIZE);
        assertEquals(SegmentBuffers.SIZE, full.length);
        SegmentBuffers.give(full);
        // Others may have given buffers back too (tests share the process): drain until ours returns.
        Map<byte[], Boolean> seen = new IdentityHashMap<>();
        byte[] again;
        int taken = 0;
        do {
            again = SegmentBuffers.take(SegmentBuffers.SIZE - 68);
            seen.put(again, true);
        } while (again != full && ++taken < 1000);
        assertSame(full, again, "the buffer given back serves the next full segment");
        byte[] small = SegmentBuffers.take(100);
        assertEquals(100, small.length, "a small message gets an exact buffer");
        SegmentBuffers.give(small);
        assertNotSame(small, SegmentBuffers.take(100));
    }

    @Test
    void idleBuffersAreCapped() {
        for (int i = 0; i < 300; i++) {
            // Empty the pool of what earlier tests in this JVM left in it.
            SegmentBuffers.take(SegmentBuffers.SIZE);
        }
        List<byte[]> buffers = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            buffers.add(new byte[SegmentBuffers.SIZE]);
        }
        buffers.forEach(SegmentBuffers::give);
        Map<byte[], Boolean> recycled = new IdentityHashMap<>();
        for (byte[] b : buffers) {
            recycled.put(b, true);
        }
        int reused = 0;
        for (int i = 0; i < 600; i++) {
            if (recycled.containsKey(SegmentBuffers.take(SegmentBuffers.SIZE))) {
                reused++;
            }
        }
        assertEquals(256, reused, "at most 256 idle buffers (16 MiB) are kept");
    }
}
