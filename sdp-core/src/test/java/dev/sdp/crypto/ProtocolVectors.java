package dev.sdp.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdp.testing.Vectors;
import dev.sdp.wire.ControlHeader;
import dev.sdp.wire.DataHeader;
import dev.sdp.wire.HandshakeHeader;
import dev.sdp.wire.MessageLayout;
import dev.sdp.wire.PacketType;
import java.nio.ByteBuffer;

/**
 * Computes the test vectors of docs/PROTOCOL.md Appendix A from their inputs. The test recomputes
 * every output of the document's block; {@link #main} prints a fresh block from the inputs below.
 */
final class ProtocolVectors {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ProtocolVectors() {
    }

    /** Recomputes every output field of {@code vectors} from its input fields, in place. */
    static ObjectNode fill(ObjectNode vectors) {
        for (JsonNode n : vectors.get("key_schedule")) {
            ObjectNode v = (ObjectNode) n;
            EpochKeys keys = EpochKeys.initial(suite(v), Vectors.hex(v.get("traffic_secret")));
            ArrayNode epochs = v.putArray("epochs");
            for (int e = 0; e < v.get("epoch_count").asInt(); e++, keys = keys.next()) {
                epochs.addObject()
                        .put("epoch", keys.epoch())
                        .put("secret", Vectors.hex(keys.trafficSecret()))
                        .put("key", Vectors.hex(keys.dataKeyBytes()))
                        .put("iv", Vectors.hex(keys.dataIv()))
                        .put("control_key", Vectors.hex(keys.controlKeyBytes()))
                        .put("control_iv", Vectors.hex(keys.controlIv()));
            }
        }
        for (JsonNode n : vectors.get("nonces")) {
            ObjectNode v = (ObjectNode) n;
            long sequence = RecordCrypter.sequenceNumber(Long.decode(v.get("message_id").asText()), v.get("record_index").asInt());
            byte[] nonce = new byte[CipherSuite.NONCE_LENGTH];
            RecordCrypter.nonce(Vectors.hex(v.get("iv")), sequence, nonce);
            v.put("sequence", String.format("%016x", sequence));
            v.put("nonce", Vectors.hex(nonce));
        }
        for (JsonNode n : vectors.get("data_packets")) {
            fillDataPacket((ObjectNode) n);
        }
        for (JsonNode n : vectors.get("control_packets")) {
            fillControlPacket((ObjectNode) n);
        }
        for (JsonNode n : vectors.get("handshake_packets")) {
            fillHandshakePacket((ObjectNode) n);
        }
        return vectors;
    }

    private static void fillHandshakePacket(ObjectNode v) {
        byte[] fragment = Vectors.hex(v.get("fragment"));
        HandshakeHeader header = new HandshakeHeader();
        header.handshakeNonce = (int) Long.parseLong(v.get("handshake_nonce").asText().substring(2), 16);
        header.flight = v.get("flight").asInt();
        header.flightLength = v.get("flight_length").asLong();
        header.fragmentOffset = v.get("fragment_offset").asLong();
        ByteBuffer packet = ByteBuffer.allocate(HandshakeHeader.LENGTH + fragment.length);
        header.encode(packet);
        packet.position(HandshakeHeader.LENGTH).put(fragment);
        HandshakeHeader.sealChecksum(packet.clear());
        v.put("checksum", String.format("%08x", packet.getInt(24)));
        v.put("packet", Vectors.hex(packet.array()));
    }

    private static void fillDataPacket(ObjectNode v) {
        EpochKeys keys = epochKeys(v);
        byte[] plaintext = Vectors.hex(v.get("plaintext"));
        DataHeader header = new DataHeader();
        header.epoch = keys.wireEpoch();
        header.messageId = Long.decode(v.get("message_id").asText());
        header.messageLength = v.get("message_length").asLong();
        header.segmentOffset = v.get("segment_offset").asLong();
        header.packetIndex = v.get("packet_index").asInt();
        header.stride = v.get("stride").asInt();
        header.unscheduled = v.get("unscheduled").asLong();
        int recordIndex = v.get("record_index").asInt();
        // Each example packet carries exactly one whole record, so the record must start where the packet does.
        long recordStart = MessageLayout.protectedSegmentStart((long) recordIndex * MessageLayout.MAX_RECORD_PLAINTEXT, true)
                - MessageLayout.protectedSegmentStart(header.segmentOffset, true);
        if (recordStart != (long) header.packetIndex * header.stride) {
            throw new IllegalStateException(v.get("name").asText() + ": record " + recordIndex + " does not start packet " + header.packetIndex);
        }
        boolean last = recordIndex == MessageLayout.recordCount(header.messageLength) - 1;
        ByteBuffer packet = ByteBuffer.allocate(DataHeader.LENGTH + plaintext.length + MessageLayout.RECORD_OVERHEAD);
        header.encode(packet);
        packet.position(DataHeader.LENGTH);
        new RecordCrypter(keys.suite()).seal(keys, header.messageId, recordIndex, last, ByteBuffer.wrap(plaintext), packet);
        v.put("final", last);
        v.put("record", Vectors.hex(java.util.Arrays.copyOfRange(packet.array(), DataHeader.LENGTH, packet.limit())));
        v.put("packet", Vectors.hex(packet.array()));
    }

    private static void fillControlPacket(ObjectNode v) {
        EpochKeys keys = epochKeys(v);
        ControlHeader header = new ControlHeader().type(PacketType.valueOf(v.get("type").asText()));
        header.epoch = keys.wireEpoch();
        header.messageId = Long.decode(v.get("message_id").asText());
        header.offset = v.get("offset").asLong();
        header.length = v.get("length").asLong();
        header.packetNumber = v.get("packet_number").asLong();
        ByteBuffer packet = ByteBuffer.allocate(ControlHeader.LENGTH);
        header.encode(packet);
        new RecordCrypter(keys.suite()).sealControl(keys, header.packetNumber,
                packet.duplicate().limit(ControlHeader.TAG_OFFSET), packet.duplicate().position(ControlHeader.TAG_OFFSET));
        v.put("packet", Vectors.hex(packet.array()));
    }

    private static EpochKeys epochKeys(JsonNode v) {
        EpochKeys keys = EpochKeys.initial(suite(v), Vectors.hex(v.get("traffic_secret")));
        for (int e = 0; e < v.get("epoch").asInt(); e++) {
            keys = keys.next();
        }
        return keys;
    }

    private static CipherSuite suite(JsonNode v) {
        return CipherSuite.fromName(v.get("suite").asText());
    }

    /** Prints the appendix block computed from the inputs chosen for the spec. */
    public static void main(String[] args) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        String clientSecret = "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5";
        String serverSecret = "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643";
        String secret384 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";
        String secretChacha = "f0e0d0c0b0a09080706050403020100f0e0d0c0b0a09080706050403020100ff";
        ArrayNode schedule = root.putArray("key_schedule");
        schedule.addObject().put("suite", "TLS_AES_128_GCM_SHA256").put("direction", "client_to_server").put("traffic_secret", clientSecret).put("epoch_count", 2);
        schedule.addObject().put("suite", "TLS_AES_128_GCM_SHA256").put("direction", "server_to_client").put("traffic_secret", serverSecret).put("epoch_count", 2);
        schedule.addObject().put("suite", "TLS_AES_256_GCM_SHA384").put("direction", "client_to_server").put("traffic_secret", secret384).put("epoch_count", 1);
        schedule.addObject().put("suite", "TLS_CHACHA20_POLY1305_SHA256").put("direction", "client_to_server").put("traffic_secret", secretChacha).put("epoch_count", 1);
        ArrayNode nonces = root.putArray("nonces");
        String iv = "0ec9f2e1d0a8ad5c1c3b8b4c";
        for (String[] n : new String[][] {{"0x2", "0"}, {"0x3", "0"}, {"0x2", "1"}, {"0x123456789abc", "65535"}, {"0xfffffffffffe", "7"}}) {
            nonces.addObject().put("iv", iv).put("message_id", n[0]).put("record_index", Integer.parseInt(n[1]));
        }
        ArrayNode data = root.putArray("data_packets");
        data.addObject().put("name", "single-record request").put("suite", "TLS_AES_128_GCM_SHA256").put("traffic_secret", clientSecret)
                .put("epoch", 0).put("message_id", "0x2").put("message_length", 10).put("segment_offset", 0).put("packet_index", 0)
                .put("stride", 1446).put("unscheduled", 10 + MessageLayout.RECORD_OVERHEAD).put("record_index", 0).put("plaintext", "68656c6c6f2c20534450");
        data.addObject().put("name", "final record of a 2-record response, epoch 1").put("suite", "TLS_AES_128_GCM_SHA256").put("traffic_secret", serverSecret)
                .put("epoch", 1).put("message_id", "0x3").put("message_length", 16389).put("segment_offset", 0).put("packet_index", 2)
                .put("stride", 8203).put("unscheduled", 16389 + 2 * MessageLayout.RECORD_OVERHEAD).put("record_index", 1).put("plaintext", "0102030405");
        data.addObject().put("name", "single-record request, ChaCha20-Poly1305").put("suite", "TLS_CHACHA20_POLY1305_SHA256").put("traffic_secret", secretChacha)
                .put("epoch", 0).put("message_id", "0x2a").put("message_length", 3).put("segment_offset", 0).put("packet_index", 0)
                .put("stride", 1446).put("unscheduled", 3 + MessageLayout.RECORD_OVERHEAD).put("record_index", 0).put("plaintext", "534450");
        ArrayNode control = root.putArray("control_packets");
        control.addObject().put("name", "GRANT").put("suite", "TLS_AES_128_GCM_SHA256").put("traffic_secret", serverSecret).put("epoch", 0)
                .put("type", "GRANT").put("message_id", "0x4").put("offset", 200000).put("length", 0).put("packet_number", 1);
        control.addObject().put("name", "RESEND").put("suite", "TLS_AES_256_GCM_SHA384").put("traffic_secret", secret384).put("epoch", 0)
                .put("type", "RESEND").put("message_id", "0x5").put("offset", 2892).put("length", 1446).put("packet_number", 7);
        ArrayNode handshake = root.putArray("handshake_packets");
        handshake.addObject().put("name", "first fragment of a 300-byte flight 0").put("handshake_nonce", "0x1a2b3c4d").put("flight", 0)
                .put("flight_length", 300).put("fragment_offset", 0).put("fragment", "160303012c0100012803035344500a");
        handshake.addObject().put("name", "the server's empty confirmation").put("handshake_nonce", "0x1a2b3c4d").put("flight", 3)
                .put("flight_length", 0).put("fragment_offset", 0).put("fragment", "");
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(fill(root)));
    }
}
