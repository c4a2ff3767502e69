package dev.sdp.ycsb;

import dev.sdp.session.PemCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import site.ycsb.DBException;

/**
 * YCSB binding over TCP through Jedis, with TLS 1.3 (JSSE) when {@code jedis.certdir} names the
 * credentials from {@code sdp keygen} (the server verified against its ca.pem). One connection per
 * YCSB thread. Properties: {@code jedis.host}, {@code jedis.port}, {@code jedis.certdir}. Stores
 * records as hashes, as YCSB's Redis binding does, so it runs against real Redis too.
 */
public final class JedisKvDB extends HashRecordDB {
    private Jedis jedis;

    @Override
    public void init() throws DBException {
        Properties p = getProperties();
        HostAndPort server = new HostAndPort(p.getProperty("jedis.host", "127.0.0.1"), Integer.parseInt(p.getProperty("jedis.port", "6379")));
        String certDir = p.getProperty("jedis.certdir");
        try {
            DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder().timeoutMillis(10_000);
            if (certDir != null) {
                config.ssl(true).sslSocketFactory(PemCredentials.sslContext(null, null, Path.of(certDir, "ca.pem")).getSocketFactory());
            }
            jedis = new Jedis(server, config.build());
            jedis.ping();
        } catch (Exception e) {
            throw new DBException("cannot connect to " + server + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void cleanup() {
        if (jedis != null) {
            jedis.close();
        }
    }

    @Override
    Map<String, byte[]> hgetall(String key) {
        Map<String, byte[]> fields = new HashMap<>();
        jedis.hgetAll(key.getBytes(StandardCharsets.UTF_8)).forEach((k, v) -> fields.put(new String(k, StandardCharsets.UTF_8), v));
        return fields;
    }

    @Override
    void hset(String key, Map<String, byte[]> fields) {
        Map<byte[], byte[]> hash = new HashMap<>();
        fields.forEach((k, v) -> hash.put(k.getBytes(StandardCharsets.UTF_8), v));
        jedis.hset(key.getBytes(StandardCharsets.UTF_8), hash);
    }

    @Override
    long del(String key) {
        return jedis.del(key);
    }
}
