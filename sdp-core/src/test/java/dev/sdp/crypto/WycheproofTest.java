package dev.sdp.crypto;

import static dev.sdp.testing.Vectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdp.testing.Vectors;
import java.nio.ByteBuffer;
import java.security.InvalidAlgorithmParameterException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Project Wycheproof AEAD and HKDF vectors through the project's own wrappers ({@link Aead},
 * {@link Hkdf}). Each AEAD vector gets a fresh {@link Aead}, since several reuse a key and nonce.
 */
class WycheproofTest {

    @TestFactory
    List<DynamicTest> aesGcm() {
        return aeadTests("aes_gcm_test.json", CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384);
    }

    @TestFactory
    List<DynamicTest> chacha20Poly1305() {
        return aeadTests("chacha20_poly1305_test.json", CipherSuite.TLS_CHACHA20_POLY1305_SHA256);
    }

    @TestFactory
    List<DynamicTest> hkdfSha256() {
        return hkdfTests("hkdf_sha256_test.json", "HKDF-SHA256");
    }

    @TestFactory
    List<DynamicTest> hkdfSha384() {
        return hkdfTests("hkdf_sha384_test.json", "HKDF-SHA384");
    }

    private static List<DynamicTest> aeadTests(String file, CipherSuite... suites) {
        List<DynamicTest> tests = new ArrayList<>();
        int[] counted = new int[2];
        for (JsonNode group : Vectors.shared(file).get("testGroups")) {
            int keyBits = group.get("keySize").asInt();
            if (group.get("tagSize").asInt() != 128 || (keyBits != 128 && keyBits != 256)) {
                continue;
            }
            CipherSuite suite = Arrays.stream(suites).filter(s -> s.keyLength() * 8 == keyBits).findFirst().orElseThrow();
            boolean nonce96 = group.get("ivSize").asInt() == 96;
            for (JsonNode t : group.get("tests")) {
                String name = file + " tcId " + t.get("tcId").asInt() + " " + t.get("comment").asText();
                if (nonce96) {
                    counted[0]++;
                    tests.add(DynamicTest.dynamicTest(name, () -> checkAead(suite, t)));
                } else {
                    counted[1]++;
                    // SDP nonces are always 96 bits; the wrapper must refuse any other length up front.
                    tests.add(DynamicTest.dynamicTest(name + " (nonce length refused)", () -> assertThrows(IllegalArgumentException.class,
                            () -> new Aead(suite).open(suite.key(hex(t.get("key"))), hex(t.get("iv")), ByteBuffer.wrap(hex(t.get("aad"))),
                                    ByteBuffer.wrap(concat(hex(t.get("ct")), hex(t.get("tag")))), ByteBuffer.allocate(hex(t.get("ct")).length)))));
                }
            }
        }
        assertTrue(counted[0] > 60, "too few 96-bit vectors found in " + file);
        return tests;
    }

    private static void checkAead(CipherSuite suite, JsonNode t) {
        byte[] key = hex(t.get("key"));
        byte[] nonce = hex(t.get("iv"));
        byte[] aad = hex(t.get("aad"));
        byte[] msg = hex(t.get("msg"));
        byte[] sealed = concat(hex(t.get("ct")), hex(t.get("tag")));
        boolean valid = !t.get("result").asText().equals("invalid");

        ByteBuffer opened = ByteBuffer.allocate(Math.max(0, sealed.length - 16));
        boolean ok = new Aead(suite).open(suite.key(key), nonce, ByteBuffer.wrap(aad), ByteBuffer.wrap(sealed), opened);
        assertEquals(valid, ok, "open");
        if (valid) {
            assertArrayEquals(msg, opened.array());
            ByteBuffer out = ByteBuffer.allocateDirect(sealed.length);
            new Aead(suite).seal(suite.key(key), nonce, ByteBuffer.wrap(aad), ByteBuffer.wrap(msg), ByteBuffer.allocate(0), out);
            byte[] produced = new byte[sealed.length];
            out.flip().get(produced);
            assertArrayEquals(sealed, produced, "seal");
        }
    }

    private static List<DynamicTest> hkdfTests(String file, String algorithm) {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode group : Vectors.shared(file).get("testGroups")) {
            for (JsonNode t : group.get("tests")) {
                tests.add(DynamicTest.dynamicTest(file + " tcId " + t.get("tcId").asInt() + " " + t.get("comment").asText(), () -> {
                    byte[] ikm = hex(t.get("ikm"));
                    byte[] salt = hex(t.get("salt"));
                    byte[] info = hex(t.get("info"));
                    int size = t.get("size").asInt();
                    if (t.get("result").asText().equals("invalid")) {
                        assertThrows(InvalidAlgorithmParameterException.class, () -> Hkdf.extractAndExpand(algorithm, ikm, salt, info, size));
                    } else {
                        assertArrayEquals(hex(t.get("okm")), Hkdf.extractAndExpand(algorithm, ikm, salt, info, size));
                    }
                }));
            }
        }
        assertFalse(tests.isEmpty());
        return tests;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
