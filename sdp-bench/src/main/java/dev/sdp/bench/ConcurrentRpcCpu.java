package dev.sdp.bench;

import dev.sdp.SdpSocket;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CPU time per RPC under load, encrypted against plaintext: one echo server and one client socket
 * in this process, {@code threads} callers making 1 KiB calls back to back without polling (as
 * the YCSB binding runs), measured over five seconds after four of warm-up.
 *
 * <p>Usage: {@code ConcurrentRpcCpu enc|plain [threads]} (default 16).
 */
public final class ConcurrentRpcCpu {
    private ConcurrentRpcCpu() {
    }

    public static void main(String[] args) throws Exception {
        boolean encrypted = args[0].equals("enc");
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        SdpSocket server = SdpSocket.builder().bind(loopback).idleSpin(Duration.ZERO).handler(r -> r.reply(r.payload())).build();
        SdpSocket client = SdpSocket.builder().bind(loopback).idleSpin(Duration.ZERO).callerSpin(Duration.ZERO).build();
        InstalledSession.join(client, server, encrypted);
        AtomicLong calls = new AtomicLong();
        for (int i = 0; i < threads; i++) {
            Thread.ofPlatform().daemon().start(() -> {
                ByteBuffer request = ByteBuffer.allocate(1024);
                while (true) {
                    try {
                        client.callBlocking(server.localAddress(), request.clear());
                    } catch (Exception e) {
                        return;
                    }
                    calls.incrementAndGet();
                }
            });
        }
        Thread.sleep(4000);
        long calls0 = calls.get();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Thread.sleep(5000);
        long n = calls.get() - calls0;
        System.out.printf("%s threads=%d rpcs_per_s=%.0f cpu_us_per_rpc=%.1f%n", encrypted ? "sdp" : "sdp-plain", threads,
                n / ((System.nanoTime() - t0) / 1e9), (os.getProcessCpuTime() - cpu0) / 1000.0 / n);
        System.exit(0);
    }
}
