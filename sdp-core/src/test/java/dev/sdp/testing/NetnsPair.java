package dev.sdp.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two network namespaces joined by a veth pair, created for one test and deleted after it, with
 * optional random UDP loss from nftables in both directions. Needs root and the {@code ip} and
 * {@code nft} commands; {@link #unavailableReason} says why not when they are missing.
 */
public final class NetnsPair implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String LOSS_TABLE = "sdploss";

    /** The address of side A (the client side) inside its namespace. */
    public final String addressA;
    /** The address of side B (the server side) inside its namespace. */
    public final String addressB;
    private final String nsA;
    private final String nsB;

    private NetnsPair(int mtu) throws IOException {
        int id = COUNTER.incrementAndGet();
        String tag = ProcessHandle.current().pid() % 100_000 + "x" + id;
        nsA = "sdpa" + tag;
        nsB = "sdpb" + tag;
        String subnet = "10.211." + (id % 250) + ".";
        addressA = subnet + "1";
        addressB = subnet + "2";
        String vethA = "va" + tag;
        String vethB = "vb" + tag;
        try {
            run("ip", "netns", "add", nsA);
            run("ip", "netns", "add", nsB);
            run("ip", "link", "add", vethA, "mtu", Integer.toString(mtu), "netns", nsA, "type", "veth",
                    "peer", "name", vethB, "mtu", Integer.toString(mtu), "netns", nsB);
            run("ip", "-n", nsA, "addr", "add", addressA + "/24", "dev", vethA);
            run("ip", "-n", nsB, "addr", "add", addressB + "/24", "dev", vethB);
            for (String[] nsDev : new String[][] {{nsA, vethA}, {nsA, "lo"}, {nsB, vethB}, {nsB, "lo"}}) {
                run("ip", "-n", nsDev[0], "link", "set", nsDev[1], "up");
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** A new pair whose veth has the given MTU. */
    public static NetnsPair create(int mtu) throws IOException {
        return new NetnsPair(mtu);
    }

    /** Why namespaces cannot be used here, or null when they can. */
    public static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "needs root to create network namespaces (running as " + System.getProperty("user.name") + ")";
        }
        for (String tool : new String[] {"ip", "nft"}) {
            if (which(tool) == null) {
                return "the '" + tool + "' command is not installed (Debian packages iproute2 and nftables)";
            }
        }
        String probe = "sdpprobe" + ProcessHandle.current().pid();
        try {
            run("ip", "netns", "add", probe);
            run("ip", "netns", "del", probe);
        } catch (IOException | RuntimeException e) {
            return "cannot create a network namespace: " + e.getMessage();
        }
        return null;
    }

    private static Path which(String tool) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Drops {@code percent} % of UDP packets at random as they enter either namespace (so each
     * direction loses that share), counting the drops.
     */
    public void dropUdp(int percent) throws IOException {
        String rules = "table inet " + LOSS_TABLE + " {\n chain input {\n  type filter hook input priority 0; policy accept;\n"
                + "  meta l4proto udp " + (percent >= 100 ? "" : "numgen random mod 100 < " + percent + " ") + "counter drop\n }\n}\n";
        for (String ns : new String[] {nsA, nsB}) {
            runWithInput(rules, "ip", "netns", "exec", ns, "nft", "-f", "-");
        }
    }

    /** UDP packets nftables has dropped so far in both namespaces. */
    public long droppedUdpPackets() throws IOException {
        long total = 0;
        for (String ns : new String[] {nsA, nsB}) {
            String listing = run("ip", "netns", "exec", ns, "nft", "list", "table", "inet", LOSS_TABLE);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("counter packets (\\d+)").matcher(listing);
            while (m.find()) {
                total += Long.parseLong(m.group(1));
            }
        }
        return total;
    }

    /** A process builder for {@code command} run inside namespace A ({@code sideA}) or B. */
    public ProcessBuilder inNamespace(boolean sideA, List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", sideA ? nsA : nsB));
        full.addAll(command);
        return new ProcessBuilder(full);
    }

    @Override
    public void close() {
        for (String ns : new String[] {nsA, nsB}) {
            try {
                run("ip", "netns", "del", ns);
            } catch (IOException | RuntimeException e) {
                // Not created, or already gone; deleting a namespace also deletes its veth end.
            }
        }
    }

    private static String run(String... command) throws IOException {
        return runWithInput(null, command);
    }

    private static String runWithInput(String input, String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + output.strip());
        }
        return output;
    }
}
