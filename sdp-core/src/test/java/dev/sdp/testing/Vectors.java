package dev.sdp.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** Loads the shared test vectors and the project's docs for tests. */
public final class Vectors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private Vectors() {
    }

    /** A public test vector file kept in the test resources ({@code testvectors/}, with its provenance). */
    public static JsonNode shared(String name) {
        try (var in = Vectors.class.getResourceAsStream("/testvectors/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test vector file " + name + " in the test resources");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read test vectors " + name, e);
        }
    }

    /** A file of the project's {@code docs/}. */
    public static Path doc(String name) {
        return dir("sdp.docs.dir", "docs").resolve(name);
    }

    public static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] hex(JsonNode node) {
        return HEX.parseHex(node.asText());
    }

    public static byte[] hex(String s) {
        return HEX.parseHex(s);
    }

    public static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }


    private static Path dir(String property, String fallback) {
        String configured = System.getProperty(property);
        if (configured != null) {
            return Path.of(configured);
        }
        // Outside Maven the tests run from the module directory or the project root.
        Path candidate = Path.of(fallback);
        return Files.isDirectory(candidate) ? candidate : Path.of("..").resolve(fallback);
    }
}
