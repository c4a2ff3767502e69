package dev.sdp.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The attack of the review, for real: a server in its own JVM with a 256 MiB heap, four clients each
 * sending one command of 24 arguments of 64 MiB. The server must refuse them with an error, not run
 * out of memory, and keep answering a well-behaved client.
 */
@Timeout(60)
class KvServerMemoryTest {
    @Test
    void fourHugeUnfinishedCommandsAreRefusedWithinASmallHeap() throws Exception {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        Process server = new ProcessBuilder(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), KvServerProcess.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.US_ASCII));
            int port = Integer.parseInt(output.readLine());
            byte[] head = "*25\r\n$3\r\nSET\r\n".getBytes(StandardCharsets.ISO_8859_1);
            byte[] argument = ("$" + (64 << 20) + "\r\n" + "x".repeat(64 << 20) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            List<Socket> attackers = new ArrayList<>();
            List<Thread> senders = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket attacker = new Socket("127.0.0.1", port);
                    attacker.setSoTimeout(15_000);
                    attackers.add(attacker);
                    senders.add(Thread.ofPlatform().daemon().start(() -> {
                        try {
                            OutputStream out = attacker.getOutputStream();
                            out.write(head);
                            for (int a = 0; a < 24; a++) {
                                out.write(argument);
                            }
                        } catch (IOException e) {
                            // Refused part-way, as expected.
                        }
                    }));
                }
                assertPong(port);
                for (Socket attacker : attackers) {
                    Resp.Value reply = new Resp.Reader(attacker.getInputStream(), 1 << 20).readValue();
                    assertTrue(reply instanceof Resp.Value.Error, reply.toString());
                }
            } finally {
                for (Socket attacker : attackers) {
                    attacker.close();
                }
            }
            for (Thread sender : senders) {
                sender.join(10_000);
            }
            assertPong(port);
            assertTrue(server.isAlive(), "the server is still running");
            server.getOutputStream().close();
            String statistics = output.readLine();
            Matcher overLimit = Pattern.compile("client_query_buffer_limit_disconnections=(\\d+)").matcher(statistics);
            Matcher overAll = Pattern.compile("client_buffers_full_disconnections=(\\d+)").matcher(statistics);
            assertTrue(overLimit.find() && overAll.find(), statistics);
            assertEquals(4, Long.parseLong(overLimit.group(1)) + Long.parseLong(overAll.group(1)), "every attacker refused and counted: " + statistics);
        } finally {
            server.getOutputStream().close();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static void assertPong(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(new Resp.Value.Simple("PONG"), new Resp.Reader(s.getInputStream(), 64).readValue());
        }
    }
}
