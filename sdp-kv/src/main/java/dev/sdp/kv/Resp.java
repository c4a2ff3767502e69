package dev.sdp.kv;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * RESP2, the Redis serialization protocol: reading commands (arrays of bulk strings, or inline
 * commands) and replies, and writing both. Reading is bounded: a bulk string longer than the limit
 * or an array with more elements than the limit is a {@link ProtocolException}, and memory is only
 * taken as bytes actually arrive, so a huge declared length costs nothing up front; a reader asks an
 * {@link Allowance} for that memory, so a server can cap what one command, and all commands being
 * read together, may hold.
 */
public final class Resp {
    /** Redis's own limit on arguments per command. */
    public static final int MAX_ARRAY = 1024 * 1024;
    private static final int MAX_LINE = 64 * 1024;
    /** Deepest array nesting a reply may have (real replies nest a few levels). */
    static final int MAX_NESTING = 128;
    /** What a bulk string costs beyond its bytes: the array's header and its slot in the argument list. */
    private static final int ARG_OVERHEAD = 24;
    /** A bulk string's first allocation; it then doubles as bytes arrive, up to its declared length. */
    private static final int FIRST_ALLOCATION = 64 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};

    private Resp() {
    }

    /** Malformed RESP; the connection cannot be trusted to be in step any more. */
    public static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        public ProtocolException(String message) {
            super(message);
        }
    }

    /** Memory a reader may take for what it is reading, asked for before each allocation. */
    @FunctionalInterface
    public interface Allowance {
        /** No cap: for a client reading its server's replies. */
        Allowance UNLIMITED = bytes -> { };

        /** Takes {@code bytes} more, or throws when they are refused (the read then ends). */
        void take(long bytes) throws IOException;
    }

    /** A reply as a client sees it. */
    public sealed interface Value {
        /** {@code +OK} */
        record Simple(String text) implements Value { }

        /** {@code -ERR ...} */
        record Error(String text) implements Value { }

        /** {@code :42} */
        record Int(long value) implements Value { }

        /** {@code $n} bulk string; {@code bytes} is null for the null bulk string. */
        record Bulk(byte[] bytes) implements Value {
            @Override
            public boolean equals(Object o) {
                return o instanceof Bulk b && Arrays.equals(bytes, b.bytes);
            }

            @Override
            public int hashCode() {
                return Arrays.hashCode(bytes);
            }

            @Override
            public String toString() {
                return bytes == null ? "Bulk[null]" : "Bulk[" + new String(bytes, StandardCharsets.UTF_8) + "]";
            }
        }

        /** {@code *n} array; {@code items} is null for the null array. */
        record Array(List<Value> items) implements Value { }
    }

    /** Reads RESP from a stream. Not thread-safe. */
    public static final class Reader {
        private final InputStream in;
        private final long maxBulk;
        private final Allowance allowance;

        /** @param maxBulk the longest bulk string accepted */
        public Reader(InputStream in, long maxBulk) {
            this(in, maxBulk, Allowance.UNLIMITED);
        }

        /** @param allowance asked for the memory of every bulk string read, as its bytes arrive */
        public Reader(InputStream in, long maxBulk, Allowance allowance) {
            this.in = in;
            this.maxBulk = maxBulk;
            this.allowance = allowance;
        }

        /**
         * The next command: a RESP array of bulk strings, or an inline command (words separated by
         * spaces, as typed into telnet). Returns null at a clean end of stream (between commands);
         * an empty list for an empty inline line.
         */
        public List<byte[]> readCommand() throws IOException {
            int first = in.read();
            if (first < 0) {
                return null;
            }
            if (first != '*') {
                String line = (char) first + readLine();
                List<byte[]> words = new ArrayList<>();
                for (String w : line.trim().split(" +")) {
                    if (!w.isEmpty()) {
                        words.add(w.getBytes(StandardCharsets.ISO_8859_1));
                    }
                }
                return words;
            }
            long n = parseLong(readLine());
            if (n < 0) {
                return List.of();
            }
            if (n > MAX_ARRAY) {
                throw new ProtocolException("invalid multibulk length");
            }
            List<byte[]> args = new ArrayList<>((int) Math.min(n, 16));
            for (long i = 0; i < n; i++) {
                int type = in.read();
                if (type != '$') {
                    throw type < 0 ? new EOFException("connection closed inside a command")
                            : new ProtocolException("expected '$', got '" + (char) type + "'");
                }
                byte[] bulk = readBulkBody(parseLong(readLine()));
                if (bulk == null) {
                    throw new ProtocolException("null bulk string in a command");
                }
                args.add(bulk);
            }
            return args;
        }

        /** The next reply, or throws EOFException at the end of the stream. */
        public Value readValue() throws IOException {
            return readValue(0);
        }

        /** Nesting is bounded: a reply of arrays nested without end must be a protocol error, not a stack overflow. */
        private Value readValue(int depth) throws IOException {
            if (depth > MAX_NESTING) {
                throw new ProtocolException("reply nested deeper than " + MAX_NESTING + " arrays");
            }
            int type = in.read();
            if (type < 0) {
                throw new EOFException("connection closed");
            }
            String line = readLine();
            return switch (type) {
                case '+' -> new Value.Simple(line);
                case '-' -> new Value.Error(line);
                case ':' -> new Value.Int(parseLong(line));
                case '$' -> new Value.Bulk(readBulkBody(parseLong(line)));
                case '*' -> {
                    long n = parseLong(line);
                    if (n < 0) {
                        yield new Value.Array(null);
                    }
                    if (n > MAX_ARRAY) {
                        throw new ProtocolException("array of " + n + " elements");
                    }
                    List<Value> items = new ArrayList<>((int) Math.min(n, 16));
                    for (long i = 0; i < n; i++) {
                        items.add(readValue(depth + 1));
                    }
                    yield new Value.Array(items);
                }
                default -> throw new ProtocolException("unknown reply type '" + (char) type + "'");
            };
        }

        private byte[] readBulkBody(long length) throws IOException {
            if (length == -1) {
                return null;
            }
            if (length < 0 || length > maxBulk || length > Integer.MAX_VALUE - 8) {
                throw new ProtocolException("invalid bulk length");
            }
            allowance.take(ARG_OVERHEAD);
            // Grow with the bytes that arrive rather than trusting the declared length up front. The
            // allowance is asked for what the array holds once grown: the one it replaces is garbage.
            byte[] body = new byte[0];
            int filled = 0;
            while (filled < length) {
                if (filled == body.length) {
                    int grown = (int) Math.min(length, Math.max(FIRST_ALLOCATION, 2L * body.length));
                    allowance.take(grown - body.length);
                    body = Arrays.copyOf(body, grown);
                }
                int n = in.read(body, filled, body.length - filled);
                if (n < 0) {
                    throw new EOFException("connection closed inside a bulk string");
                }
                filled += n;
            }
            if (in.read() != '\r' || in.read() != '\n') {
                throw new ProtocolException("bulk string not terminated by CRLF");
            }
            return body;
        }

        private String readLine() throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    throw new EOFException("connection closed inside a line");
                }
                if (c == '\r') {
                    if (in.read() != '\n') {
                        throw new ProtocolException("CR not followed by LF");
                    }
                    return sb.toString();
                }
                if (c == '\n') {
                    return sb.toString();
                }
                if (sb.length() >= MAX_LINE) {
                    throw new ProtocolException("line too long");
                }
                sb.append((char) c);
            }
        }

        private static long parseLong(String s) throws ProtocolException {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new ProtocolException("invalid length '" + (s.length() > 20 ? s.substring(0, 20) + "…" : s) + "'");
            }
        }
    }

    /** Writes RESP replies and commands. */
    public static final class Writer {
        private final OutputStream out;

        public Writer(OutputStream out) {
            this.out = out;
        }

        public Writer simple(String text) throws IOException {
            out.write('+');
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.write(CRLF);
            return this;
        }

        public Writer error(String text) throws IOException {
            out.write('-');
            out.write(text.replace('\r', ' ').replace('\n', ' ').getBytes(StandardCharsets.UTF_8));
            out.write(CRLF);
            return this;
        }

        public Writer integer(long value) throws IOException {
            out.write(':');
            out.write(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
            out.write(CRLF);
            return this;
        }

        /** A bulk string, or the null bulk string for null. */
        public Writer bulk(byte[] bytes) throws IOException {
            if (bytes == null) {
                out.write(new byte[] {'$', '-', '1', '\r', '\n'});
                return this;
            }
            out.write('$');
            out.write(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
            out.write(CRLF);
            out.write(bytes);
            out.write(CRLF);
            return this;
        }

        /** The header of an array of {@code n} elements (the caller writes them). */
        public Writer arrayHeader(int n) throws IOException {
            out.write('*');
            out.write(Integer.toString(n).getBytes(StandardCharsets.US_ASCII));
            out.write(CRLF);
            return this;
        }

        /** A command: an array of bulk strings. */
        public Writer command(List<byte[]> args) throws IOException {
            arrayHeader(args.size());
            for (byte[] a : args) {
                bulk(a);
            }
            return this;
        }
    }
}
