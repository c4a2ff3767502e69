package dev.sdp.kv;

import java.net.InetSocketAddress;

/**
 * A key-value server alone in a JVM, for tests that need its heap to be small and its own: serves
 * TCP on a loopback port it prints, until its standard input closes; then prints its statistics. Its limits are the defaults
 * but for 96 MiB over all clients' buffers, which a 256 MiB heap holds beside the store's 64 MiB.
 */
public final class KvServerProcess {
    private KvServerProcess() {
    }

    public static void main(String[] args) throws Exception {
        try (KvServer server = new KvServer(new KvStore(64L << 20), new KvServer.Limits(
                KvServer.Limits.defaults().clientQueryBufferLimit(), KvServer.Limits.defaults().clientOutputBufferLimit(), 96L << 20,
                KvServer.Limits.defaults().writeTimeout()))) {
            System.out.println(server.listenTcp(new InetSocketAddress("127.0.0.1", 0), null).getPort());
            System.out.flush();
            System.in.transferTo(java.io.OutputStream.nullOutputStream());
            System.out.println(server.statistics());
        }
    }
}
