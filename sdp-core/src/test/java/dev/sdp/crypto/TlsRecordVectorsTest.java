package dev.sdp.crypto;

import static dev.sdp.testing.Vectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdp.testing.Vectors;
import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** RFC 8448 §3 application records and RFC 9001 A.5 ChaCha20 packet protection, byte for byte. */
class TlsRecordVectorsTest {
    private static final JsonNode VECTORS = Vectors.shared("tls13_record_vectors.json");

    @ParameterizedTest
    @ValueSource(strings = {"client", "server"})
    void rfc8448ApplicationRecordIsReproduced(String side) {
        JsonNode v = VECTORS.get("rfc8448_s3_" + side + "_appdata");
        EpochKeys keys = EpochKeys.initial(CipherSuite.fromName(v.get("cipher").asText()), hex(v.get("traffic_secret")));
        assertArrayEquals(hex(v.get("key")), keys.dataKeyBytes());
        assertArrayEquals(hex(v.get("iv")), keys.dataIv());

        long seq = v.get("seq").asLong();
        // TLS sequence numbers below 2^16 are message 0, record index = seq.
        assertEquals(seq, RecordCrypter.sequenceNumber(0, (int) seq));
        byte[] nonce = new byte[12];
        RecordCrypter.nonce(keys.dataIv(), seq, nonce);
        assertArrayEquals(hex(v.get("nonce")), nonce);

        byte[] record = hex(v.get("record"));
        assertArrayEquals(hex(v.get("aad")), java.util.Arrays.copyOf(record, 5));
        RecordCrypter crypter = new RecordCrypter(keys.suite());
        ByteBuffer sealed = ByteBuffer.allocate(record.length);
        crypter.seal(keys, 0, (int) seq, false, ByteBuffer.wrap(hex(v.get("payload"))), sealed);
        assertArrayEquals(record, sealed.array());

        ByteBuffer plain = ByteBuffer.allocateDirect(record.length);
        assertEquals(RecordStatus.OK, crypter.open(keys, 0, (int) seq, false, ByteBuffer.wrap(record), plain));
        byte[] payload = new byte[plain.flip().remaining()];
        plain.get(payload);
        assertArrayEquals(hex(v.get("payload")), payload);

        assertArrayEquals(hex(VECTORS.get("rfc8448_s3_" + side + "_traffic_upd_computed")), keys.next().trafficSecret());
    }

    @Test
    void rfc9001ChaCha20PacketProtection() {
        JsonNode v = VECTORS.get("rfc9001_A5_chacha20_short_header");
        CipherSuite suite = CipherSuite.TLS_CHACHA20_POLY1305_SHA256;
        byte[] secret = hex(v.get("secret"));
        byte[] key = Hkdf.expandLabel(suite, secret, "quic key", new byte[0], 32);
        byte[] iv = Hkdf.expandLabel(suite, secret, "quic iv", new byte[0], 12);
        assertArrayEquals(hex(v.get("key")), key);
        assertArrayEquals(hex(v.get("iv")), iv);
        assertArrayEquals(hex(v.get("hp")), Hkdf.expandLabel(suite, secret, "quic hp", new byte[0], 32));
        assertArrayEquals(hex(v.get("ku")), Hkdf.expandLabel(suite, secret, "quic ku", new byte[0], 32));

        byte[] nonce = new byte[12];
        RecordCrypter.nonce(iv, v.get("pn").asLong(), nonce);
        assertArrayEquals(hex(v.get("nonce")), nonce);

        Aead aead = new Aead(suite);
        byte[] expected = hex(v.get("ciphertext"));
        ByteBuffer out = ByteBuffer.allocate(expected.length);
        aead.seal(suite.key(key), nonce, ByteBuffer.wrap(hex(v.get("aad_unprotected_header"))),
                ByteBuffer.wrap(hex(v.get("plaintext"))), ByteBuffer.allocate(0), out);
        assertArrayEquals(expected, out.array());
    }
}
