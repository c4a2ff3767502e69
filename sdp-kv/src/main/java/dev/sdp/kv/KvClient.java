package dev.sdp.kv;

import dev.sdp.SdpSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A client of {@link KvServer} over SDP: one command per RPC on an {@link SdpSocket} the caller
 * owns (a TLS session, installed keys or plaintext mode, as the socket was built). Typed methods
 * for the common commands, and {@link #command} for any; async and blocking forms. Error replies
 * become {@link KvException}s.
 */
public final class KvClient {
    private final SdpSocket socket;
    private final InetSocketAddress server;

    public KvClient(SdpSocket socket, InetSocketAddress server) {
        this.socket = socket;
        this.server = server;
    }

    /** An error reply from the server ({@code -ERR ...}). */
    public static final class KvException extends IOException {
        private static final long serialVersionUID = 1L;

        public KvException(String message) {
            super(message);
        }
    }

    /** Sends one command; the future completes with the raw reply (error replies included). */
    public CompletableFuture<Resp.Value> commandAsync(List<byte[]> args) {
        return socket.call(server, encode(args)).thenApply(response -> {
            try {
                return decode(response);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
    }

    /**
     * Sends one command and waits for the raw reply on this thread, which polls the socket for a
     * fast answer instead of waiting to be woken ({@link SdpSocket#callBlocking}).
     */
    public Resp.Value command(List<byte[]> args) throws IOException {
        try {
            return decode(socket.callBlocking(server, encode(args)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for " + server);
        }
    }

    private static ByteBuffer encode(List<byte[]> args) {
        ByteArrayOutputStream request = new ByteArrayOutputStream(64);
        try {
            new Resp.Writer(request).command(args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ByteBuffer.wrap(request.toByteArray());
    }

    private static Resp.Value decode(ByteBuffer response) throws IOException {
        return new Resp.Reader(new KvServer.ByteBufferInput(response), Long.MAX_VALUE).readValue();
    }

    private static List<byte[]> utf8(String... args) {
        List<byte[]> bytes = new ArrayList<>(args.length);
        for (String a : args) {
            bytes.add(a.getBytes(StandardCharsets.UTF_8));
        }
        return bytes;
    }

    /** {@link #commandAsync} with string arguments (UTF-8). */
    public CompletableFuture<Resp.Value> commandAsync(String... args) {
        return commandAsync(utf8(args));
    }

    /** {@link #command} with string arguments (UTF-8). */
    public Resp.Value command(String... args) throws IOException {
        return command(utf8(args));
    }

    private static Resp.Value checked(Resp.Value v) throws KvException {
        if (v instanceof Resp.Value.Error error) {
            throw new KvException(error.text());
        }
        return v;
    }

    /** GET: the value, or null. */
    public byte[] get(String key) throws IOException {
        return ((Resp.Value.Bulk) checked(command("GET", key))).bytes();
    }

    /** SET key value. */
    public void set(String key, byte[] value) throws IOException {
        checked(command(List.of("SET".getBytes(StandardCharsets.US_ASCII), key.getBytes(StandardCharsets.UTF_8), value)));
    }

    /** INCR: the new value. */
    public long incr(String key) throws IOException {
        return ((Resp.Value.Int) checked(command("INCR", key))).value();
    }

    /** DEL: how many keys were removed. */
    public long del(String... keys) throws IOException {
        String[] args = new String[keys.length + 1];
        args[0] = "DEL";
        System.arraycopy(keys, 0, args, 1, keys.length);
        return ((Resp.Value.Int) checked(command(args))).value();
    }

    /** HSET key field value ...: how many fields were new. */
    public long hset(String key, Map<String, byte[]> fields) throws IOException {
        return ((Resp.Value.Int) checked(command(hsetArgs(key, fields)))).value();
    }

    /** HSET as a future. */
    public CompletableFuture<Resp.Value> hsetAsync(String key, Map<String, byte[]> fields) {
        return commandAsync(hsetArgs(key, fields));
    }

    private static List<byte[]> hsetArgs(String key, Map<String, byte[]> fields) {
        List<byte[]> args = new ArrayList<>(2 + 2 * fields.size());
        args.add("HSET".getBytes(StandardCharsets.US_ASCII));
        args.add(key.getBytes(StandardCharsets.UTF_8));
        fields.forEach((f, v) -> {
            args.add(f.getBytes(StandardCharsets.UTF_8));
            args.add(v);
        });
        return args;
    }

    /** HGETALL: the fields in server order (empty when the key does not exist). */
    public Map<String, byte[]> hgetall(String key) throws IOException {
        return fields(checked(command("HGETALL", key)));
    }

    /** HGETALL as a future. */
    public CompletableFuture<Map<String, byte[]>> hgetallAsync(String key) {
        return commandAsync("HGETALL", key).thenApply(v -> {
            try {
                return fields(checked(v));
            } catch (KvException e) {
                throw new CompletionException(e);
            }
        });
    }

    private static Map<String, byte[]> fields(Resp.Value v) {
        List<Resp.Value> items = ((Resp.Value.Array) v).items();
        Map<String, byte[]> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < items.size(); i += 2) {
            map.put(new String(((Resp.Value.Bulk) items.get(i)).bytes(), StandardCharsets.UTF_8), ((Resp.Value.Bulk) items.get(i + 1)).bytes());
        }
        return map;
    }
}
