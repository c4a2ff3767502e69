#!/usr/bin/env python3
"""Recomputes docs/PROTOCOL.md Appendix A with a second, independent implementation of the spec
(Python's hmac/hashlib and the `cryptography` package), so the vectors do not rest on the Java
code alone. Usage: python3 tools/crosscheck_protocol_vectors.py [docs/PROTOCOL.md]"""
import hashlib, hmac, json, re, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

SUITES = {  # name: (hash, key length, AEAD)
    "TLS_AES_128_GCM_SHA256": (hashlib.sha256, 16, AESGCM),
    "TLS_AES_256_GCM_SHA384": (hashlib.sha384, 32, AESGCM),
    "TLS_CHACHA20_POLY1305_SHA256": (hashlib.sha256, 32, ChaCha20Poly1305),
}
TYPES = {"DATA": 1, "GRANT": 2, "RESEND": 3, "ACK": 4, "NEED_ACK": 5, "BUSY": 6, "UNKNOWN": 7, "HANDSHAKE": 8, "CLOSE": 9}

def expand_label(h, secret, label, length):
    full = b"tls13 " + label.encode()
    info = struct.pack(">HB", length, len(full)) + full + b"\x00"
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([i]), h).digest()
        out += block
        i += 1
    return out[:length]

def epoch_keys(suite, secret, epoch):
    h, klen, _ = SUITES[suite]
    for _ in range(epoch):
        secret = expand_label(h, secret, "traffic upd", h().digest_size)
    return dict(secret=secret, key=expand_label(h, secret, "key", klen), iv=expand_label(h, secret, "iv", 12),
                control_key=expand_label(h, secret, "sdp ctl key", klen), control_iv=expand_label(h, secret, "sdp ctl iv", 12))

def nonce(iv, seq):
    return bytes(a ^ b for a, b in zip(iv, b"\x00" * 4 + struct.pack(">Q", seq)))

def common(ptype, epoch, message_id):
    return struct.pack(">BBBB", 1, ptype, 0, epoch & 0xFF) + message_id.to_bytes(6, "big")

def crc32c(data):
    # CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, bit by bit: independent of the JDK's.
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def check(label, expected, actual):
    if expected != actual:
        sys.exit(f"MISMATCH {label}:\n  spec     {expected}\n  computed {actual}")

def main(path):
    doc = open(path).read()
    block = json.loads(re.search(r"## Appendix A.*?```json\n(.*?)\n```", doc, re.S).group(1))
    n = 0
    for v in block["key_schedule"]:
        for e in v["epochs"]:
            k = epoch_keys(v["suite"], bytes.fromhex(v["traffic_secret"]), e["epoch"])
            for field in ("secret", "key", "iv", "control_key", "control_iv"):
                check(f"key_schedule {v['direction']} epoch {e['epoch']} {field}", e[field], k[field].hex()); n += 1
    for v in block["nonces"]:
        seq = int(v["message_id"], 16) << 16 | v["record_index"]
        check("sequence", v["sequence"], f"{seq:016x}")
        check("nonce", v["nonce"], nonce(bytes.fromhex(v["iv"]), seq).hex()); n += 2
    for v in block["data_packets"]:
        k = epoch_keys(v["suite"], bytes.fromhex(v["traffic_secret"]), v["epoch"])
        mid, length, idx = int(v["message_id"], 16), v["message_length"], v["record_index"]
        last = idx == max(1, -(-length // 16384)) - 1
        pt = bytes.fromhex(v["plaintext"])
        header = bytes([0x17, 3, 3]) + struct.pack(">H", len(pt) + 17)
        body = SUITES[v["suite"]][2](k["key"]).encrypt(nonce(k["iv"], mid << 16 | idx), pt + (b"\x97" if last else b"\x17"), header)
        record = header + body
        check(f"{v['name']} record", v["record"], record.hex())
        dh = common(TYPES["DATA"], v["epoch"], mid) + struct.pack(">IIHHI", length, v["segment_offset"], v["packet_index"], v["stride"], v["unscheduled"])
        check(f"{v['name']} packet", v["packet"], (dh + record).hex()); n += 2
    for v in block["control_packets"]:
        k = epoch_keys(v["suite"], bytes.fromhex(v["traffic_secret"]), v["epoch"])
        aad = common(TYPES[v["type"]], v["epoch"], int(v["message_id"], 16)) + struct.pack(">IIQ", v["offset"], v["length"], v["packet_number"])
        tag = SUITES[v["suite"]][2](k["control_key"]).encrypt(nonce(k["control_iv"], v["packet_number"]), b"", aad)
        check(f"{v['name']} control packet", v["packet"], (aad + tag).hex()); n += 1
    for v in block["handshake_packets"]:
        head = common(TYPES["HANDSHAKE"], 0, 0) + struct.pack(">IHII", int(v["handshake_nonce"], 16), v["flight"], v["flight_length"],
                                                               v["fragment_offset"])
        fragment = bytes.fromhex(v["fragment"])
        checksum = crc32c(head + bytes(4) + fragment)
        check(f"{v['name']} checksum", v["checksum"], f"{checksum:08x}")
        check(f"{v['name']} handshake packet", v["packet"], (head + struct.pack(">I", checksum) + fragment).hex()); n += 2
    print(f"{n} values of Appendix A reproduced independently")

main(sys.argv[1] if len(sys.argv) > 1 else "docs/PROTOCOL.md")
