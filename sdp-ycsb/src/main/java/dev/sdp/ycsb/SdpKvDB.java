package dev.sdp.ycsb;

import dev.sdp.SdpSocket;
import dev.sdp.kv.KvClient;
import dev.sdp.session.HandshakeConfig;
import dev.sdp.session.PemCredentials;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import site.ycsb.DBException;

/**
 * YCSB binding for the key-value server over SDP. Properties: {@code sdpkv.host},
 * {@code sdpkv.port}, and {@code sdpkv.certdir} (credentials from {@code sdp keygen}: TLS 1.3
 * handshake, server verified against its ca.pem) or {@code sdpkv.plaintext=true}.
 *
 * <p>By default the YCSB threads of one process share one {@link SdpSocket}, as threads share a
 * Homa socket: SDP multiplexes independent RPCs over one endpoint, where TCP needs a connection
 * per thread to avoid head-of-line blocking. {@code sdpkv.sharedsocket=false} gives each thread its
 * own socket and session instead. Callers do not spin ({@code sdpkv.callerspin.us},
 * {@code sdpkv.idlespin.us}, default 0): with many threads on few cores, polling takes the CPU the
 * other threads need (measured: see docs/BENCHMARKS.md).
 */
public final class SdpKvDB extends HashRecordDB {
    private static SdpSocket shared;
    private static int sharedUsers;
    private SdpSocket socket;
    private KvClient client;
    private boolean usesShared;

    @Override
    public void init() throws DBException {
        Properties p = getProperties();
        String host = p.getProperty("sdpkv.host", "127.0.0.1");
        int port = Integer.parseInt(p.getProperty("sdpkv.port", "6380"));
        try {
            SdpSocket.Builder builder = SdpSocket.builder().bind(new InetSocketAddress(host.contains(":") ? "::" : "0.0.0.0", 0))
                    .callerSpin(Duration.ofNanos(1000 * Long.parseLong(p.getProperty("sdpkv.callerspin.us", "0"))))
                    .idleSpin(Duration.ofNanos(1000 * Long.parseLong(p.getProperty("sdpkv.idlespin.us", "0"))));
            String certDir = p.getProperty("sdpkv.certdir");
            if (certDir != null) {
                builder.tls(HandshakeConfig.builder(PemCredentials.sslContext(null, null, Path.of(certDir, "ca.pem"))).build());
            } else if (Boolean.parseBoolean(p.getProperty("sdpkv.plaintext", "false"))) {
                builder.plaintextPeers(true);
            } else {
                throw new DBException("set sdpkv.certdir (TLS) or sdpkv.plaintext=true");
            }
            if (Boolean.parseBoolean(p.getProperty("sdpkv.sharedsocket", "true"))) {
                synchronized (SdpKvDB.class) {
                    if (shared == null) {
                        shared = builder.build();
                    }
                    sharedUsers++;
                    socket = shared;
                    usesShared = true;
                }
            } else {
                socket = builder.build();
            }
            client = new KvClient(socket, new InetSocketAddress(host, port));
        } catch (DBException e) {
            throw e;
        } catch (Exception e) {
            throw new DBException("cannot open an SDP socket: " + e.getMessage(), e);
        }
    }

    @Override
    public void cleanup() {
        if (usesShared) {
            synchronized (SdpKvDB.class) {
                if (--sharedUsers == 0) {
                    shared.close();
                    shared = null;
                }
            }
        } else if (socket != null) {
            socket.close();
        }
    }

    @Override
    Map<String, byte[]> hgetall(String key) throws Exception {
        return client.hgetall(key);
    }

    @Override
    void hset(String key, Map<String, byte[]> fields) throws Exception {
        client.hset(key, fields);
    }

    @Override
    long del(String key) throws Exception {
        return client.del(key);
    }
}
