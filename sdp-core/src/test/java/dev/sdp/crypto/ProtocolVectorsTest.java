package dev.sdp.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdp.testing.Vectors;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The implementation reproduces every output of the fenced json block in docs/PROTOCOL.md Appendix A. */
class ProtocolVectorsTest {

    static JsonNode specBlock() throws IOException {
        String doc = Files.readString(Vectors.doc("PROTOCOL.md"));
        int appendix = doc.indexOf("## Appendix A");
        assertTrue(appendix >= 0, "PROTOCOL.md has no Appendix A");
        int start = doc.indexOf("```json\n", appendix);
        int end = doc.indexOf("\n```", start + 8);
        assertTrue(start >= 0 && end > start, "Appendix A has no fenced json block");
        assertEquals(-1, doc.indexOf("```json", end + 4), "the spec must have exactly one json block");
        return Vectors.parse(doc.substring(start + 8, end));
    }

    @Test
    void specVectorsMatchTheImplementation() throws IOException {
        JsonNode spec = specBlock();
        JsonNode computed = ProtocolVectors.fill(((ObjectNode) spec).deepCopy());
        compare("", spec, computed);
        assertTrue(spec.get("data_packets").size() >= 2 && spec.get("control_packets").size() >= 1);
    }

    private static void compare(String path, JsonNode expected, JsonNode actual) {
        if (expected.isContainerNode()) {
            assertEquals(expected.size(), actual.size(), path + " size");
            if (expected.isArray()) {
                for (int i = 0; i < expected.size(); i++) {
                    compare(path + "[" + i + "]", expected.get(i), actual.get(i));
                }
            } else {
                for (Iterator<Map.Entry<String, JsonNode>> it = expected.properties().iterator(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    compare(path + "." + e.getKey(), e.getValue(), actual.get(e.getKey()));
                }
            }
        } else {
            assertEquals(expected, actual, path);
        }
    }
}
