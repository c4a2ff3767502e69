package dev.sdp.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RESP2 reading and writing, and its limits. */
class RespTest {
    private static Resp.Reader reader(String wire) {
        return new Resp.Reader(new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)), 1000);
    }

    private static List<String> strings(List<byte[]> args) {
        return args.stream().map(b -> new String(b, StandardCharsets.ISO_8859_1)).toList();
    }

    @Test
    void commandsInArrayAndInlineForm() throws IOException {
        Resp.Reader r = reader("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nv!\r\nPING  hello\r\n*0\r\n");
        assertEquals(List.of("SET", "k", "v\r\nv!"), strings(r.readCommand()));
        assertEquals(List.of("PING", "hello"), strings(r.readCommand()));
        assertEquals(List.of(), r.readCommand());
        assertNull(r.readCommand(), "clean end of stream");
    }

    @Test
    void repliesRoundTrip() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Resp.Writer(out).simple("OK").error("ERR bad").integer(-7).bulk(new byte[] {0, 1}).bulk(null).arrayHeader(2).integer(1).bulk("x".getBytes());
        Resp.Reader r = new Resp.Reader(new ByteArrayInputStream(out.toByteArray()), 100);
        assertEquals(new Resp.Value.Simple("OK"), r.readValue());
        assertEquals(new Resp.Value.Error("ERR bad"), r.readValue());
        assertEquals(new Resp.Value.Int(-7), r.readValue());
        assertArrayEquals(new byte[] {0, 1}, ((Resp.Value.Bulk) r.readValue()).bytes());
        assertNull(((Resp.Value.Bulk) r.readValue()).bytes());
        assertEquals(new Resp.Value.Array(List.of(new Resp.Value.Int(1), new Resp.Value.Bulk("x".getBytes()))), r.readValue());
    }

    @Test
    void malformedAndOversizedInputIsAProtocolError() {
        for (String wire : List.of("*2\r\n$3\r\nGET\r\n:1\r\n", "*1\r\n$abc\r\n", "*1\r\n$2000\r\n", "*99999999\r\n", "*1\r\n$3\r\nGETXX",
                "*1\r\n$-5\r\n", "*1\r\n$-1\r\n", "*1\r\n$3\r\nGET\rX")) {
            assertThrows(Resp.ProtocolException.class, () -> reader(wire).readCommand(), wire);
        }
        assertThrows(Resp.ProtocolException.class, () -> reader("x".repeat(70_000) + "\r\n").readCommand(), "inline line too long");
    }

    @Test
    void aDeclaredHugeBulkCostsOnlyWhatArrives() {
        // 64 MiB declared, 10 bytes sent: the reader waits for more bytes, it does not allocate 64 MiB first.
        Resp.Reader r = new Resp.Reader(new ByteArrayInputStream("*1\r\n$67108864\r\n0123456789".getBytes()), 64L << 20);
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertThrows(EOFException.class, r::readCommand);
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertEquals(true, after - before < 16L << 20, "allocated " + (after - before));
    }

    @Test
    void theAllowanceIsAskedAsBytesArriveAndCanStopTheRead() {
        // 1 MiB declared, 10 bytes sent: the reader asks for its first allocation only, not for the megabyte.
        java.util.concurrent.atomic.AtomicLong taken = new java.util.concurrent.atomic.AtomicLong();
        Resp.Reader r = new Resp.Reader(new ByteArrayInputStream("*1\r\n$1048576\r\n0123456789".getBytes()), 1 << 20, taken::addAndGet);
        assertThrows(EOFException.class, r::readCommand);
        assertTrue(taken.get() > 10 && taken.get() <= 65 * 1024, "took " + taken.get());
        IOException refused = new IOException("refused");
        Resp.Reader refusing = new Resp.Reader(new ByteArrayInputStream("*1\r\n$3\r\nGET\r\n".getBytes()), 1000, bytes -> {
            throw refused;
        });
        assertEquals(refused, assertThrows(IOException.class, refusing::readCommand));
    }
}
