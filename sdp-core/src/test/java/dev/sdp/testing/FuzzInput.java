package dev.sdp.testing;

import java.util.Arrays;

/**
 * Reads a fuzz input as a script of steps. A plain byte format rather than Jazzer's
 * FuzzedDataProvider (which takes numbers from the end of the input and bytes from the front), so
 * that seed scripts are easy to write by hand and a mutation of one byte changes one field. Reads
 * past the end yield zeros, so every input is a valid script.
 */
public final class FuzzInput {
    private final byte[] bytes;
    private int at;

    public FuzzInput(byte[] bytes) {
        this.bytes = bytes;
    }

    public boolean more() {
        return at < bytes.length;
    }

    public int u8() {
        return at < bytes.length ? bytes[at++] & 0xFF : 0;
    }

    public int u16() {
        return u8() << 8 | u8();
    }

    /** A number in 0..n-1 (n at most 65536). */
    public int below(int n) {
        return n <= 256 ? u8() % n : u16() % n;
    }

    /** Up to {@code n} bytes, fewer at the end of the input. */
    public byte[] bytes(int n) {
        int end = Math.min(bytes.length, at + n);
        byte[] out = Arrays.copyOfRange(bytes, at, end);
        at = end;
        return out;
    }

    /**
     * Applies up to 3 fuzzer-chosen edits to a copy of {@code packet}: flip bits in a byte, set a
     * byte, or cut the packet short. Offsets are taken modulo the length, so edits land in headers
     * as often as the fuzzer likes.
     */
    public byte[] mutate(byte[] packet) {
        byte[] d = packet.clone();
        int edits = u8() % 4;
        for (int i = 0; i < edits && d.length > 0; i++) {
            int kind = u8();
            int offset = u16() % d.length;
            int value = u8();
            switch (kind % 3) {
                case 0 -> d[offset] ^= (byte) (value == 0 ? 1 : value);
                case 1 -> d[offset] = (byte) value;
                default -> d = Arrays.copyOf(d, offset);
            }
        }
        return d;
    }
}
