package dev.sdp.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The default driver choice in a fresh JVM: the batched Linux driver when native access is enabled,
 * java.nio otherwise, said once in the log, and never the JDK's warning about a restricted method.
 */
@Timeout(60)
class DriverSelectionTest {
    private record Run(long packets, long sendCalls, String stderr) {
    }

    private static Run probe(List<String> jvmOptions) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), AutoDriverProbe.class.getName()));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "probe finished");
        assertEquals(0, process.exitValue(), err);
        Matcher m = Pattern.compile("packets_out=(\\d+) send_calls=(\\d+)").matcher(new String(out, StandardCharsets.UTF_8));
        assertTrue(m.find(), err);
        return new Run(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), err);
    }

    @Test
    void withNativeAccessLinuxBatchesDatagrams() throws Exception {
        assumeTrue("Linux".equals(System.getProperty("os.name")));
        Run run = probe(List.of("--enable-native-access=ALL-UNNAMED"));
        assertTrue(run.sendCalls() * 4 < run.packets(), () -> "GSO runs: " + run);
        assertTrue(run.stderr().isBlank(), run.stderr());
    }

    @Test
    void withoutNativeAccessJavaNioServesAndSaysWhy() throws Exception {
        Run run = probe(List.of());
        assertEquals(run.packets(), run.sendCalls(), () -> "one datagram per call: " + run);
        assertTrue(run.stderr().contains("--enable-native-access"), run.stderr());
        assertFalse(run.stderr().contains("restricted method"), run.stderr());
    }

    @Test
    void theSystemPropertyPicksJavaNioEvenWithNativeAccess() throws Exception {
        Run run = probe(List.of("--enable-native-access=ALL-UNNAMED", "-Dsdp.io=nio"));
        assertEquals(run.packets(), run.sendCalls(), () -> "one datagram per call: " + run);
    }
}
