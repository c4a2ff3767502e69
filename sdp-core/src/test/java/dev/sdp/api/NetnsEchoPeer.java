package dev.sdp.api;

import dev.sdp.SdpSocket;
import dev.sdp.crypto.CipherSuite;
import dev.sdp.crypto.EpochKeys;
import dev.sdp.transport.RpcException;
import dev.sdp.transport.TransportConfig;
import dev.sdp.transport.TransportStats.Counter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One end of {@link KernelLossTest}, run as its own JVM inside a network namespace. {@code server}
 * echoes requests until its standard input closes; {@code client} makes RPCs of random sizes,
 * checks every echo byte for byte and prints one summary line.
 *
 * <p>Arguments: {@code server|client bindHost bindPort peerHost peerPort c2sSecretHex s2cSecretHex}
 * and for the client also {@code count maxSize concurrency rpcTimeoutMillis}.
 */
public final class NetnsEchoPeer {
    private NetnsEchoPeer() {
    }

    public static void main(String[] args) throws Exception {
        boolean server = args[0].equals("server");
        InetSocketAddress local = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        InetSocketAddress peer = new InetSocketAddress(args[3], Integer.parseInt(args[4]));
        byte[] c2s = HexFormat.of().parseHex(args[5]);
        byte[] s2c = HexFormat.of().parseHex(args[6]);
        Duration rpcTimeout = Duration.ofMillis(server ? 30_000 : Long.parseLong(args[10]));
        TransportConfig config = TransportConfig.builder().resendInterval(Duration.ofMillis(5)).rpcTimeout(rpcTimeout).build();
        SdpSocket.Builder builder = SdpSocket.builder().bind(local).config(config);
        if (server) {
            builder.handler(r -> r.reply(r.payload()));
        }
        CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256;
        try (SdpSocket socket = builder.build()) {
            socket.installKeys(peer, EpochKeys.initial(suite, server ? s2c : c2s), EpochKeys.initial(suite, server ? c2s : s2c));
            if (server) {
                System.out.println("ready");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // Serve until the test closes our input.
                }
            } else {
                runClient(socket, peer, Integer.parseInt(args[7]), Integer.parseInt(args[8]), Integer.parseInt(args[9]));
            }
        }
    }

    private static void runClient(SdpSocket socket, InetSocketAddress server, int count, int maxSize, int concurrency)
            throws InterruptedException {
        Random random = new Random(count);
        Semaphore window = new Semaphore(concurrency);
        List<CompletableFuture<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] request = new byte[random.nextInt(4) == 0 ? random.nextInt(maxSize + 1) : random.nextInt(2000)];
            random.nextBytes(request);
            window.acquire();
            results.add(socket.call(server, ByteBuffer.wrap(request.clone()))
                    .whenComplete((response, error) -> window.release())
                    .thenApply(response -> response.equals(ByteBuffer.wrap(request))));
        }
        int completed = 0;
        int wrong = 0;
        int timeouts = 0;
        int otherFailures = 0;
        for (CompletableFuture<Boolean> result : results) {
            try {
                if (result.get(5, TimeUnit.MINUTES)) {
                    completed++;
                } else {
                    wrong++;
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RpcException rpc && rpc.reason() == RpcException.Reason.TIMEOUT) {
                    timeouts++;
                } else {
                    otherFailures++;
                }
            } catch (java.util.concurrent.TimeoutException e) {
                otherFailures++;
            }
        }
        System.out.printf("completed=%d wrong=%d timeouts=%d other=%d retransmitted=%d resends=%d%n", completed, wrong,
                timeouts, otherFailures, socket.stats().get(Counter.DATA_RETRANSMITTED), socket.stats().get(Counter.RESENDS_SENT));
    }
}
