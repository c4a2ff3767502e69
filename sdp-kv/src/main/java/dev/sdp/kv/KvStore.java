package dev.sdp.kv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-memory database every listener shares: strings and hashes with optional expiry, and the
 * Redis commands that work on them. Commands run one at a time, as in Redis, so each is atomic.
 * Keys and fields are byte strings (held as ISO-8859-1 strings: one char per byte). Memory is
 * bounded: a write that would take the data past {@code maxMemory} is refused with an OOM error.
 */
public final class KvStore {
    /** Rough bookkeeping cost of an entry beyond its bytes (map nodes, headers). */
    private static final int ENTRY_OVERHEAD = 64;

    private final ReentrantLock lock = new ReentrantLock();
    private final HashMap<String, Object> data = new HashMap<>();
    private final HashMap<String, Long> expiries = new HashMap<>();
    private final long maxMemory;
    private final java.util.function.LongSupplier clock;
    private long usedMemory;
    private final AtomicLong commands = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();

    /** @param maxMemory bytes of keys and values (plus a fixed overhead per entry) the store may hold */
    public KvStore(long maxMemory) {
        this(maxMemory, System::currentTimeMillis);
    }

    /** With {@code clock} (milliseconds) deciding expiry, so tests need not wait for it. */
    KvStore(long maxMemory, java.util.function.LongSupplier clock) {
        this.maxMemory = maxMemory;
        this.clock = clock;
    }

    /** Commands executed so far. */
    public long commands() {
        return commands.get();
    }

    /** Commands answered with an error. */
    public long errors() {
        return errors.get();
    }

    /** What a command asks of the connection after its reply. */
    public enum After { CONTINUE, CLOSE }

    /** A command's reply is an error with this text (the part after the '-'). */
    private static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;

        Refusal(String text) {
            super(text, null, false, false);
        }
    }

    /** Executes {@code args} (name first) and writes its reply. */
    public After execute(List<byte[]> args, Resp.Writer out) throws IOException {
        commands.incrementAndGet();
        if (args.isEmpty()) {
            return After.CONTINUE;
        }
        String name = new String(args.getFirst(), StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        lock.lock();
        try {
            return run(name, args, out);
        } catch (Refusal r) {
            errors.incrementAndGet();
            out.error(r.getMessage());
            return After.CONTINUE;
        } finally {
            lock.unlock();
        }
    }

    private After run(String name, List<byte[]> a, Resp.Writer out) throws IOException, Refusal {
        long now = clock.getAsLong();
        switch (name) {
            case "ping" -> {
                arity(name, a, 1, 2);
                if (a.size() == 2) {
                    out.bulk(a.get(1));
                } else {
                    out.simple("PONG");
                }
            }
            case "echo" -> {
                arity(name, a, 2, 2);
                out.bulk(a.get(1));
            }
            case "quit" -> {
                out.simple("OK");
                return After.CLOSE;
            }
            case "get" -> {
                arity(name, a, 2, 2);
                out.bulk(string(key(a, 1), now));
            }
            case "set" -> set(a, out, now);
            case "del", "exists" -> {
                arity(name, a, 2, Integer.MAX_VALUE);
                int n = 0;
                for (int i = 1; i < a.size(); i++) {
                    String k = key(a, i);
                    if (live(k, now) != null) {
                        n++;
                        if (name.equals("del")) {
                            remove(k);
                        }
                    }
                }
                out.integer(n);
            }
            case "incr", "incrby" -> {
                arity(name, a, name.equals("incr") ? 2 : 3, name.equals("incr") ? 2 : 3);
                long by = name.equals("incr") ? 1 : integer(a.get(2));
                String k = key(a, 1);
                byte[] old = string(k, now);
                long value = old == null ? 0 : integer(old);
                long result;
                try {
                    result = Math.addExact(value, by);
                } catch (ArithmeticException e) {
                    throw new Refusal("ERR increment or decrement would overflow");
                }
                put(k, Long.toString(result).getBytes(StandardCharsets.US_ASCII), true);
                out.integer(result);
            }
            case "mget" -> {
                arity(name, a, 2, Integer.MAX_VALUE);
                out.arrayHeader(a.size() - 1);
                for (int i = 1; i < a.size(); i++) {
                    Object v = live(key(a, i), now);
                    out.bulk(v instanceof byte[] b ? b : null);
                }
            }
            case "mset" -> {
                if (a.size() < 3 || a.size() % 2 == 0) {
                    throw wrongArity(name);
                }
                for (int i = 1; i < a.size(); i += 2) {
                    put(key(a, i), a.get(i + 1), false);
                }
                out.simple("OK");
            }
            case "hset" -> {
                if (a.size() < 4 || a.size() % 2 == 1) {
                    throw wrongArity(name);
                }
                Map<String, byte[]> hash = hashForWrite(key(a, 1), now);
                int added = 0;
                for (int i = 2; i < a.size(); i += 2) {
                    String field = key(a, i);
                    byte[] value = a.get(i + 1);
                    byte[] previous = hash.get(field);
                    reserve((previous == null ? field.length() + ENTRY_OVERHEAD : 0) + value.length - (previous == null ? 0 : previous.length));
                    if (hash.put(field, value) == null) {
                        added++;
                    }
                }
                out.integer(added);
            }
            case "hget" -> {
                arity(name, a, 3, 3);
                Map<String, byte[]> hash = hash(key(a, 1), now);
                out.bulk(hash == null ? null : hash.get(key(a, 2)));
            }
            case "hmget" -> {
                arity(name, a, 3, Integer.MAX_VALUE);
                Map<String, byte[]> hash = hash(key(a, 1), now);
                out.arrayHeader(a.size() - 2);
                for (int i = 2; i < a.size(); i++) {
                    out.bulk(hash == null ? null : hash.get(key(a, i)));
                }
            }
            case "hgetall" -> {
                arity(name, a, 2, 2);
                Map<String, byte[]> hash = hash(key(a, 1), now);
                if (hash == null) {
                    out.arrayHeader(0);
                } else {
                    out.arrayHeader(hash.size() * 2);
                    for (Map.Entry<String, byte[]> e : hash.entrySet()) {
                        out.bulk(e.getKey().getBytes(StandardCharsets.ISO_8859_1)).bulk(e.getValue());
                    }
                }
            }
            case "hdel" -> {
                arity(name, a, 3, Integer.MAX_VALUE);
                String k = key(a, 1);
                Map<String, byte[]> hash = hash(k, now);
                int n = 0;
                for (int i = 2; hash != null && i < a.size(); i++) {
                    String field = key(a, i);
                    byte[] removed = hash.remove(field);
                    if (removed != null) {
                        n++;
                        usedMemory -= field.length() + removed.length + ENTRY_OVERHEAD;
                    }
                }
                if (hash != null && hash.isEmpty()) {
                    remove(k);
                }
                out.integer(n);
            }
            case "expire", "pexpire" -> {
                arity(name, a, 3, 3);
                String k = key(a, 1);
                long amount = integer(a.get(2));
                long millis;
                try {
                    millis = Math.addExact(now, name.equals("expire") ? Math.multiplyExact(amount, 1000) : amount);
                } catch (ArithmeticException e) {
                    throw new Refusal("ERR invalid expire time in '" + name + "' command");
                }
                if (live(k, now) == null) {
                    out.integer(0);
                } else {
                    if (millis <= now) {
                        remove(k);
                    } else {
                        expiries.put(k, millis);
                    }
                    out.integer(1);
                }
            }
            case "ttl", "pttl" -> {
                arity(name, a, 2, 2);
                String k = key(a, 1);
                if (live(k, now) == null) {
                    out.integer(-2);
                } else {
                    Long at = expiries.get(k);
                    out.integer(at == null ? -1 : name.equals("ttl") ? (at - now + 999) / 1000 : at - now);
                }
            }
            case "dbsize" -> {
                arity(name, a, 1, 1);
                out.integer(data.size());
            }
            case "flushall", "flushdb" -> {
                data.clear();
                expiries.clear();
                usedMemory = 0;
                out.simple("OK");
            }
            case "info" -> out.bulk(info().getBytes(StandardCharsets.UTF_8));
            case "select" -> {
                arity(name, a, 2, 2);
                if (integer(a.get(1)) != 0) {
                    throw new Refusal("ERR DB index is out of range");
                }
                out.simple("OK");
            }
            // What redis-cli and redis-benchmark ask when they start: answered so they carry on.
            case "command" -> out.arrayHeader(0);
            case "config" -> configGet(a, out);
            case "client" -> out.simple("OK");
            default -> throw new Refusal("ERR unknown command '" + truncate(name) + "', with args beginning with: " + argsPreview(a));
        }
        return After.CONTINUE;
    }

    private void set(List<byte[]> a, Resp.Writer out, long now) throws IOException, Refusal {
        arity("set", a, 3, 6);
        String k = key(a, 1);
        long expiresAt = 0;
        boolean nx = false;
        boolean xx = false;
        for (int i = 3; i < a.size(); i++) {
            String option = new String(a.get(i), StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT);
            switch (option) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "EX", "PX" -> {
                    if (i + 1 >= a.size() || expiresAt != 0) {
                        throw new Refusal("ERR syntax error");
                    }
                    long amount = integer(a.get(++i));
                    if (amount <= 0 || amount > Long.MAX_VALUE / 1000 - now) {
                        throw new Refusal("ERR invalid expire time in 'set' command");
                    }
                    expiresAt = now + (option.equals("EX") ? amount * 1000 : amount);
                }
                default -> throw new Refusal("ERR syntax error");
            }
        }
        if (nx && xx) {
            throw new Refusal("ERR syntax error");
        }
        boolean exists = live(k, now) != null;
        if ((nx && exists) || (xx && !exists)) {
            out.bulk(null);
            return;
        }
        put(k, a.get(2), false);
        if (expiresAt != 0) {
            expiries.put(k, expiresAt);
        }
        out.simple("OK");
    }

    private void configGet(List<byte[]> a, Resp.Writer out) throws IOException, Refusal {
        if (a.size() != 3 || !new String(a.get(1), StandardCharsets.ISO_8859_1).equalsIgnoreCase("get")) {
            throw new Refusal("ERR only CONFIG GET is supported");
        }
        String parameter = new String(a.get(2), StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        Map<String, String> known = Map.of("save", "", "appendonly", "no", "maxmemory", Long.toString(maxMemory), "databases", "1");
        String value = known.get(parameter);
        if (value == null) {
            out.arrayHeader(0);
        } else {
            out.arrayHeader(2).bulk(parameter.getBytes(StandardCharsets.US_ASCII)).bulk(value.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private String info() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("redis_version", "7.0.0");
        fields.put("sdp_kv_version", "0.1.0");
        fields.put("used_memory", usedMemory);
        fields.put("maxmemory", maxMemory);
        fields.put("db0", "keys=" + data.size() + ",expires=" + expiries.size());
        fields.put("total_commands_processed", commands.get());
        StringBuilder sb = new StringBuilder("# Server\r\n");
        fields.forEach((k, v) -> sb.append(k).append(':').append(v).append("\r\n"));
        return sb.toString();
    }

    /** Drops up to {@code budget} expired keys; called periodically so expired data does not linger unread. */
    public int sweepExpired(int budget) {
        lock.lock();
        try {
            long now = clock.getAsLong();
            int removed = 0;
            List<String> dead = new ArrayList<>();
            for (Iterator<Map.Entry<String, Long>> it = expiries.entrySet().iterator(); it.hasNext() && dead.size() < budget; ) {
                Map.Entry<String, Long> e = it.next();
                if (e.getValue() <= now) {
                    dead.add(e.getKey());
                }
            }
            for (String k : dead) {
                remove(k);
                removed++;
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- helpers (under the lock)

    private Object live(String k, long now) {
        Long at = expiries.get(k);
        if (at != null && at <= now) {
            remove(k);
            return null;
        }
        return data.get(k);
    }

    private byte[] string(String k, long now) throws Refusal {
        Object v = live(k, now);
        if (v != null && !(v instanceof byte[])) {
            throw wrongType();
        }
        return (byte[]) v;
    }

    @SuppressWarnings("unchecked")
    private Map<String, byte[]> hash(String k, long now) throws Refusal {
        Object v = live(k, now);
        if (v != null && !(v instanceof Map)) {
            throw wrongType();
        }
        return (Map<String, byte[]>) v;
    }

    private Map<String, byte[]> hashForWrite(String k, long now) throws Refusal {
        Map<String, byte[]> hash = hash(k, now);
        if (hash == null) {
            reserve(k.length() + ENTRY_OVERHEAD);
            hash = new HashMap<>();
            data.put(k, hash);
        }
        return hash;
    }

    /** Stores a string value; {@code keepTtl} keeps an existing expiry (INCR), otherwise a write clears it (SET). */
    private void put(String k, byte[] value, boolean keepTtl) throws Refusal {
        Object old = data.get(k);
        long before = old == null ? 0 : size(k, old);
        reserve(k.length() + value.length + ENTRY_OVERHEAD - before);
        data.put(k, value);
        if (!keepTtl) {
            expiries.remove(k);
        }
    }

    private void remove(String k) {
        Object old = data.remove(k);
        if (old != null) {
            usedMemory -= size(k, old);
        }
        expiries.remove(k);
    }

    private static long size(String k, Object v) {
        if (v instanceof byte[] b) {
            return k.length() + b.length + ENTRY_OVERHEAD;
        }
        long total = k.length() + ENTRY_OVERHEAD;
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            total += ((String) e.getKey()).length() + ((byte[]) e.getValue()).length + ENTRY_OVERHEAD;
        }
        return total;
    }

    private void reserve(long bytes) throws Refusal {
        if (bytes > 0 && usedMemory + bytes > maxMemory) {
            throw new Refusal("OOM command not allowed when used memory > 'maxmemory'.");
        }
        usedMemory += bytes;
    }

    private static String key(List<byte[]> a, int i) {
        return new String(a.get(i), StandardCharsets.ISO_8859_1);
    }

    private static long integer(byte[] b) throws Refusal {
        try {
            return Long.parseLong(new String(b, StandardCharsets.ISO_8859_1));
        } catch (NumberFormatException e) {
            throw new Refusal("ERR value is not an integer or out of range");
        }
    }

    private static void arity(String name, List<byte[]> a, int min, int max) throws Refusal {
        if (a.size() < min || a.size() > max) {
            throw wrongArity(name);
        }
    }

    private static Refusal wrongArity(String name) {
        return new Refusal("ERR wrong number of arguments for '" + name + "' command");
    }

    private static Refusal wrongType() {
        return new Refusal("WRONGTYPE Operation against a key holding the wrong kind of value");
    }

    private static String truncate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }

    private static String argsPreview(List<byte[]> a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < a.size() && sb.length() < 128; i++) {
            sb.append('\'').append(truncate(new String(a.get(i), StandardCharsets.ISO_8859_1))).append("' ");
        }
        return sb.toString().trim();
    }
}
