package dev.sdp.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The commands' semantics, checked against Redis's documented replies. */
class KvStoreTest {
    private final java.util.concurrent.atomic.AtomicLong millis = new java.util.concurrent.atomic.AtomicLong(1_000_000);
    private final KvStore store = new KvStore(1 << 20, millis::get);

    private Resp.Value run(String... args) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.execute(Arrays.stream(args).map(a -> a.getBytes(StandardCharsets.UTF_8)).toList(), new Resp.Writer(out));
        return new Resp.Reader(new ByteArrayInputStream(out.toByteArray()), Long.MAX_VALUE).readValue();
    }

    private static Resp.Value bulk(String s) {
        return new Resp.Value.Bulk(s == null ? null : s.getBytes(StandardCharsets.UTF_8));
    }

    private static final Resp.Value OK = new Resp.Value.Simple("OK");

    @Test
    void stringsWithOptions() throws Exception {
        assertEquals(OK, run("SET", "k", "v"));
        assertEquals(bulk("v"), run("GET", "k"));
        assertEquals(bulk(null), run("SET", "k", "w", "NX"), "NX on an existing key");
        assertEquals(OK, run("SET", "k", "w", "XX"));
        assertEquals(bulk(null), run("SET", "other", "w", "XX"), "XX on a missing key");
        assertEquals(OK, run("SET", "t", "1", "PX", "50"));
        assertTrue(((Resp.Value.Int) run("PTTL", "t")).value() > 0);
        millis.addAndGet(80);
        assertEquals(bulk(null), run("GET", "t"), "expired");
        assertEquals(new Resp.Value.Int(-2), run("TTL", "t"));
        assertEquals(OK, run("SET", "e", "1", "EX", "100"));
        assertEquals(new Resp.Value.Int(100), run("TTL", "e"));
        assertEquals(new Resp.Value.Int(-1), run("TTL", "k"));
        assertEquals(new Resp.Value.Error("ERR syntax error"), run("SET", "k", "v", "NX", "XX"));
        assertEquals(new Resp.Value.Error("ERR invalid expire time in 'set' command"), run("SET", "k", "v", "EX", "0"));
        assertEquals(OK, run("MSET", "a", "1", "b", "2"));
        assertEquals(new Resp.Value.Array(List.of(bulk("1"), bulk("2"), bulk(null))), run("MGET", "a", "b", "c"));
        assertEquals(new Resp.Value.Int(2), run("EXISTS", "a", "b", "c"));
        assertEquals(new Resp.Value.Int(2), run("DEL", "a", "b", "c"));
    }

    @Test
    void countersAndTheirErrors() throws Exception {
        assertEquals(new Resp.Value.Int(1), run("INCR", "n"));
        assertEquals(new Resp.Value.Int(11), run("INCRBY", "n", "10"));
        run("SET", "s", "abc");
        assertEquals(new Resp.Value.Error("ERR value is not an integer or out of range"), run("INCR", "s"));
        run("SET", "max", Long.toString(Long.MAX_VALUE));
        assertEquals(new Resp.Value.Error("ERR increment or decrement would overflow"), run("INCR", "max"));
    }

    @Test
    void hashesAndWrongTypes() throws Exception {
        assertEquals(new Resp.Value.Int(2), run("HSET", "h", "f1", "a", "f2", "b"));
        assertEquals(new Resp.Value.Int(0), run("HSET", "h", "f1", "c"));
        assertEquals(bulk("c"), run("HGET", "h", "f1"));
        assertEquals(new Resp.Value.Array(List.of(bulk("c"), bulk(null))), run("HMGET", "h", "f1", "zz"));
        assertEquals(4, ((Resp.Value.Array) run("HGETALL", "h")).items().size());
        assertEquals(new Resp.Value.Int(2), run("HDEL", "h", "f1", "f2", "f3"));
        assertEquals(new Resp.Value.Int(0), run("EXISTS", "h"), "an emptied hash is gone");
        run("HSET", "h", "f", "v");
        assertTrue(((Resp.Value.Error) run("GET", "h")).text().startsWith("WRONGTYPE"));
        run("SET", "s", "v");
        assertTrue(((Resp.Value.Error) run("HSET", "s", "f", "v")).text().startsWith("WRONGTYPE"));
        assertEquals(new Resp.Value.Int(1), run("EXPIRE", "h", "100"));
        assertEquals(new Resp.Value.Int(2), run("DBSIZE"));
        assertEquals(OK, run("FLUSHALL"));
        assertEquals(new Resp.Value.Int(0), run("DBSIZE"));
    }

    @Test
    void unknownCommandsAndWrongArityAreErrors() throws Exception {
        assertEquals(new Resp.Value.Error("ERR unknown command 'frob', with args beginning with: 'x'"), run("FROB", "x"));
        assertEquals(new Resp.Value.Error("ERR wrong number of arguments for 'get' command"), run("GET"));
        assertEquals(new Resp.Value.Simple("PONG"), run("PING"));
        assertEquals(bulk("hi"), run("ECHO", "hi"));
        assertTrue(((Resp.Value.Bulk) run("INFO")).bytes().length > 10);
        assertTrue(store.errors() >= 2);
    }

    @Test
    void writesBeyondTheMemoryCapAreRefusedAndDeletesFreeRoom() throws Exception {
        String big = "x".repeat(400_000);
        assertEquals(OK, run("SET", "a", big));
        assertEquals(OK, run("SET", "b", big));
        assertTrue(((Resp.Value.Error) run("SET", "c", big)).text().startsWith("OOM"));
        assertEquals(OK, run("SET", "a", big), "overwriting in place fits");
        run("DEL", "a");
        assertEquals(OK, run("SET", "c", big));
    }
}
