-- Wireshark dissector for SDP, the secure datacenter transport (docs/PROTOCOL.md, version 1).
--
-- Decodes every packet type from its plaintext headers alone: no key is needed to see message
-- IDs, message lengths, segment and packet positions, grants, resends, acks and handshake
-- fragments. Record ciphertext and control tags are shown as opaque bytes, never decrypted.
--
-- Registered as a heuristic UDP dissector (strict: version 1, a known type, every field within
-- the protocol's rules and the datagram's length exactly what its header implies; HANDSHAKE
-- packets must carry a matching CRC32C) and for "Decode As" on a UDP port. A frame captured on
-- the sending host with UDP GSO holds a run of datagrams back to back, all but the last of the
-- first one's size; each is dissected as its own SDP packet.
--
-- The filter prefix is "sdpt" (SDP transport): Wireshark's built-in Session Description Protocol
-- already owns "sdp" and fields such as sdp.version.

local sdpt = Proto("sdpt", "SDP Secure Datacenter Transport")

local DATA, GRANT, RESEND, ACK, NEED_ACK, BUSY, UNKNOWN, HANDSHAKE, CLOSE = 1, 2, 3, 4, 5, 6, 7, 8, 9
local TYPE_NAMES = {
    [DATA] = "DATA", [GRANT] = "GRANT", [RESEND] = "RESEND", [ACK] = "ACK", [NEED_ACK] = "NEED_ACK",
    [BUSY] = "BUSY", [UNKNOWN] = "UNKNOWN", [HANDSHAKE] = "HANDSHAKE", [CLOSE] = "CLOSE",
}
local FLAG_RETRANSMIT, FLAG_PLAINTEXT, FLAG_ERROR = 0x01, 0x02, 0x04
local COMMON_LEN, DATA_LEN, CONTROL_LEN, HANDSHAKE_LEN = 10, 26, 42, 28
local CHECKSUM_AT = 24
local RECORD_SIZE, SEGMENT_SIZE, RECORD_OVERHEAD = 16384, 65536, 22
local MAX_MESSAGE_LENGTH, MIN_STRIDE, MAX_ACK_RUN = 2 ^ 30, 256, 64
local MAX_PROTECTED_LENGTH = MAX_MESSAGE_LENGTH + RECORD_OVERHEAD * MAX_MESSAGE_LENGTH / RECORD_SIZE

local f = {
    version = ProtoField.uint8("sdpt.version", "Version"),
    type = ProtoField.uint8("sdpt.type", "Type", base.HEX, TYPE_NAMES),
    flags = ProtoField.uint8("sdpt.flags", "Flags", base.HEX),
    flag_retransmit = ProtoField.bool("sdpt.flags.retransmit", "RETRANSMIT", 8, nil, FLAG_RETRANSMIT),
    flag_plaintext = ProtoField.bool("sdpt.flags.plaintext", "PLAINTEXT", 8, nil, FLAG_PLAINTEXT),
    flag_error = ProtoField.bool("sdpt.flags.error", "ERROR", 8, nil, FLAG_ERROR),
    flag_reserved = ProtoField.uint8("sdpt.flags.reserved", "Reserved", base.HEX, nil, 0xF8),
    epoch = ProtoField.uint8("sdpt.epoch", "Epoch (low 8 bits)"),
    message_id = ProtoField.uint64("sdpt.message_id", "Message ID", base.HEX),
    rpc_id = ProtoField.uint64("sdpt.rpc_id", "RPC ID"),
    role = ProtoField.uint8("sdpt.role", "Role", base.DEC, { [0] = "request", [1] = "response" }),
    -- DATA
    message_length = ProtoField.uint32("sdpt.message_length", "Message length"),
    segment_offset = ProtoField.uint32("sdpt.segment_offset", "Segment offset"),
    packet_index = ProtoField.uint16("sdpt.packet_index", "Packet index"),
    stride = ProtoField.uint16("sdpt.stride", "Stride"),
    unscheduled = ProtoField.uint32("sdpt.unscheduled", "Unscheduled"),
    packets_in_segment = ProtoField.uint16("sdpt.packets_in_segment", "Packets in segment"),
    protected_offset = ProtoField.uint32("sdpt.protected_offset", "Protected offset of payload"),
    payload = ProtoField.bytes("sdpt.payload", "Payload"),
    -- Control packets
    offset = ProtoField.uint32("sdpt.offset", "Offset"),
    length = ProtoField.uint32("sdpt.length", "Length"),
    packet_number = ProtoField.uint64("sdpt.packet_number", "Packet number"),
    tag = ProtoField.bytes("sdpt.tag", "Tag"),
    -- HANDSHAKE
    handshake_nonce = ProtoField.uint32("sdpt.handshake_nonce", "Handshake nonce", base.HEX),
    flight = ProtoField.uint16("sdpt.flight", "Flight"),
    flight_length = ProtoField.uint32("sdpt.flight_length", "Flight length"),
    fragment_offset = ProtoField.uint32("sdpt.fragment_offset", "Fragment offset"),
    checksum = ProtoField.uint32("sdpt.checksum", "Checksum (CRC32C)", base.HEX),
    checksum_good = ProtoField.bool("sdpt.checksum.good", "Checksum good"),
    fragment = ProtoField.bytes("sdpt.fragment", "Fragment (TLS 1.3 handshake records)"),
    padding = ProtoField.bytes("sdpt.padding", "Padding"),
}
sdpt.fields = f

local malformed = ProtoExpert.new("sdpt.malformed", "Not a valid SDP packet (docs/PROTOCOL.md)",
    expert.group.MALFORMED, expert.severity.WARN)
sdpt.experts = { malformed }

-- CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
local CRC_TABLE = {}
for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
        if bit32.band(c, 1) ~= 0 then
            c = bit32.bxor(bit32.rshift(c, 1), 0x82F63B78)
        else
            c = bit32.rshift(c, 1)
        end
    end
    CRC_TABLE[i] = c
end

-- Lengths n (HANDSHAKE_LEN <= n <= #bytes) whose prefix, checksum field taken as zero, has the CRC32C
-- `want`: the datagram lengths a HANDSHAKE packet starting these bytes can have.
local function checksum_matches(bytes, want)
    local crc, found = 0xFFFFFFFF, {}
    for i = 1, #bytes do
        local b = (i > CHECKSUM_AT and i <= HANDSHAKE_LEN) and 0 or bytes:byte(i)
        crc = bit32.bxor(bit32.rshift(crc, 8), CRC_TABLE[bit32.band(bit32.bxor(crc, b), 0xFF)])
        if i >= HANDSHAKE_LEN and bit32.bxor(crc, 0xFFFFFFFF) == want then
            found[#found + 1] = i
        end
    end
    return found
end

-- Protected bytes of `plain` plaintext bytes cut into records (§3); plaintext mode adds nothing.
local function protected_length(plain, plaintext)
    if plaintext then
        return plain
    end
    return plain + RECORD_OVERHEAD * math.max(1, math.ceil(plain / RECORD_SIZE))
end

-- Reads the DATA header at the start of tvb; returns its fields and what they imply, or nil and why.
local function data_layout(tvb)
    if tvb:len() < DATA_LEN then
        return nil, "shorter than a DATA header"
    end
    local d = {
        message_length = tvb(10, 4):uint(),
        segment_offset = tvb(14, 4):uint(),
        packet_index = tvb(18, 2):uint(),
        stride = tvb(20, 2):uint(),
        unscheduled = tvb(22, 4):uint(),
        plaintext = bit32.band(tvb(2, 1):uint(), FLAG_PLAINTEXT) ~= 0,
    }
    if d.message_length > MAX_MESSAGE_LENGTH then
        return nil, "message_length above 2^30"
    end
    if d.segment_offset % SEGMENT_SIZE ~= 0
        or not (d.segment_offset < d.message_length or d.segment_offset == 0) then
        return nil, "segment_offset not a multiple of 65536 within the message"
    end
    if d.stride < MIN_STRIDE then
        return nil, "stride below 256"
    end
    if d.unscheduled > protected_length(d.message_length, d.plaintext) then
        return nil, "unscheduled beyond the message's protected length"
    end
    local protected = protected_length(math.min(SEGMENT_SIZE, d.message_length - d.segment_offset), d.plaintext)
    d.packets_in_segment = math.max(1, math.ceil(protected / d.stride))
    if d.packet_index >= d.packets_in_segment then
        return nil, "packet_index past the segment's last packet"
    end
    d.payload_length = math.min((d.packet_index + 1) * d.stride, protected) - d.packet_index * d.stride
    d.protected_offset = d.packet_index * d.stride
        + (d.plaintext and d.segment_offset
            or d.segment_offset + RECORD_OVERHEAD * (d.segment_offset / RECORD_SIZE))
    return d
end

-- The datagram length the SDP packet at the start of tvb declares, or nil when it declares none
-- (not SDP, or a HANDSHAKE packet whose checksum matches no prefix).
local function declared_length(tvb)
    if tvb:len() < COMMON_LEN or tvb(0, 1):uint() ~= 1 then
        return nil
    end
    local t = tvb(1, 1):uint()
    if t == DATA then
        local d = data_layout(tvb)
        return d and DATA_LEN + d.payload_length
    elseif t == HANDSHAKE then
        if tvb:len() < HANDSHAKE_LEN then
            return nil
        end
        local lengths = checksum_matches(tvb:raw(), tvb(CHECKSUM_AT, 4):uint())
        return lengths[#lengths] == tvb:len() and tvb:len() or lengths[1]
    elseif TYPE_NAMES[t] then
        return CONTROL_LEN
    end
    return nil
end

-- The datagrams in one UDP payload as {offset, length} pairs: one, or a UDP GSO run whose
-- datagrams all have the first one's length but the last, which may be shorter.
local function datagrams(tvb)
    local total = tvb:len()
    local size = declared_length(tvb)
    if not size or size >= total then
        return { { 0, total } }
    end
    local list = {}
    for at = 0, total - 1, size do
        list[#list + 1] = { at, math.min(size, total - at) }
    end
    return list
end

-- Checks one datagram against docs/PROTOCOL.md; returns a list of problems (empty when valid).
local function problems(tvb)
    local p = {}
    local len = tvb:len()
    if len < COMMON_LEN then
        return { "shorter than the 10-byte common header" }
    end
    if tvb(0, 1):uint() ~= 1 then
        p[#p + 1] = "version is not 1"
    end
    local t, flags, epoch = tvb(1, 1):uint(), tvb(2, 1):uint(), tvb(3, 1):uint()
    if not TYPE_NAMES[t] then
        p[#p + 1] = "unassigned type"
        return p
    end
    if bit32.band(flags, 0xF8) ~= 0 then
        p[#p + 1] = "reserved flag bits set"
    end
    if bit32.band(flags, FLAG_PLAINTEXT) ~= 0 and epoch ~= 0 then
        p[#p + 1] = "epoch is not 0 in plaintext mode"
    end
    if t == DATA then
        local d, why = data_layout(tvb)
        if not d then
            p[#p + 1] = why
        elseif len ~= DATA_LEN + d.payload_length then
            p[#p + 1] = string.format("payload is %d bytes where the layout gives %d", len - DATA_LEN, d.payload_length)
        end
    elseif t == HANDSHAKE then
        if len < HANDSHAKE_LEN then
            return { "shorter than a HANDSHAKE header" }
        end
        if epoch ~= 0 or tvb(4, 6):uint64() ~= UInt64.new(0) then
            p[#p + 1] = "epoch or message_id is not 0"
        end
        if tvb(10, 4):uint() == 0 then
            p[#p + 1] = "handshake_nonce is 0"
        end
        local flight_length, fragment_offset = tvb(16, 4):uint(), tvb(20, 4):uint()
        if fragment_offset > flight_length then
            p[#p + 1] = "fragment_offset past flight_length"
        end
        local lengths = checksum_matches(tvb:raw(), tvb(CHECKSUM_AT, 4):uint())
        if lengths[#lengths] ~= len then
            p[#p + 1] = "checksum does not match"
        end
        local fragment = math.max(0, math.min(len - HANDSHAKE_LEN, flight_length - fragment_offset))
        local padding = len - HANDSHAKE_LEN - fragment
        if padding > 0 and tvb:raw(HANDSHAKE_LEN + fragment):find("[^\0]") then
            p[#p + 1] = "padding is not zero"
        end
    else
        if len ~= CONTROL_LEN then
            p[#p + 1] = string.format("control packet of %d bytes, not 42", len)
            return p
        end
        if bit32.band(flags, FLAG_RETRANSMIT) ~= 0 then
            p[#p + 1] = "RETRANSMIT set on a control packet"
        end
        local offset, length = tvb(10, 4):uint(), tvb(14, 4):uint()
        if offset ~= 0 and t ~= GRANT and t ~= RESEND then
            p[#p + 1] = "offset is not 0"
        end
        if offset + length > MAX_PROTECTED_LENGTH then
            p[#p + 1] = "offset and length reach past the largest protected message"
        end
        if tvb(18, 2):uint() ~= 0 or tvb(20, 1):uint() >= 0x80 then
            p[#p + 1] = "packet_number not below 2^47 (each epoch's numbers start below 2^46)"
        end
        if t == ACK then
            if length < 1 or length > MAX_ACK_RUN then
                p[#p + 1] = "ACK length not in 1..64"
            end
        elseif t ~= RESEND and length ~= 0 then
            p[#p + 1] = "length is not 0"
        end
    end
    return p
end

-- Adds one datagram's tree; returns a one-line summary for the Info column.
local function dissect_datagram(tvb, tree, issues)
    local root = tree:add(sdpt, tvb())
    for _, why in ipairs(issues) do
        root:add_proto_expert_info(malformed, why)
    end
    if tvb:len() < COMMON_LEN then
        return "malformed"
    end
    local t, flags = tvb(1, 1):uint(), tvb(2, 1):uint()
    local name = TYPE_NAMES[t] or string.format("type 0x%02x", t)
    local id = tvb(4, 6):uint64()
    root:add(f.version, tvb(0, 1))
    root:add(f.type, tvb(1, 1))
    local ft = root:add(f.flags, tvb(2, 1))
    ft:add(f.flag_retransmit, tvb(2, 1))
    ft:add(f.flag_plaintext, tvb(2, 1))
    ft:add(f.flag_error, tvb(2, 1))
    ft:add(f.flag_reserved, tvb(2, 1))
    root:add(f.epoch, tvb(3, 1))
    root:add(f.message_id, tvb(4, 6))
    local has_rpc = t ~= HANDSHAKE and t ~= CLOSE
    local role = id:band(1):tonumber()
    if has_rpc then
        root:add(f.rpc_id, tvb(4, 6), id:rshift(1)):set_generated()
        root:add(f.role, tvb(9, 1), role):set_generated()
    end
    local summary = string.format("%s id=0x%s", name, id:tohex():gsub("^0+(.)", "%1"))
    if has_rpc then
        summary = summary .. (role == 0 and " (request)" or " (response)")
    end
    if bit32.band(flags, FLAG_RETRANSMIT) ~= 0 then
        summary = summary .. " [retransmit]"
    end
    root:append_text(", " .. name)

    if t == DATA and tvb:len() >= DATA_LEN then
        root:add(f.message_length, tvb(10, 4))
        root:add(f.segment_offset, tvb(14, 4))
        root:add(f.packet_index, tvb(18, 2))
        root:add(f.stride, tvb(20, 2))
        root:add(f.unscheduled, tvb(22, 4))
        local d = data_layout(tvb)
        if d then
            root:add(f.packets_in_segment, d.packets_in_segment):set_generated()
            root:add(f.protected_offset, d.protected_offset):set_generated()
        end
        if tvb:len() > DATA_LEN then
            root:add(f.payload, tvb(DATA_LEN)):append_text(bit32.band(flags, FLAG_PLAINTEXT) ~= 0
                and " (plaintext mode: message bytes)" or " (TLS 1.3 record ciphertext, not decrypted)")
        end
        summary = summary .. string.format(" len=%d seg=%d pkt=%d/%d",
            tvb(10, 4):uint(), tvb(14, 4):uint(), tvb(18, 2):uint(), d and d.packets_in_segment or 0)
    elseif t == HANDSHAKE and tvb:len() >= HANDSHAKE_LEN then
        local flight_length, fragment_offset = tvb(16, 4):uint(), tvb(20, 4):uint()
        root:add(f.handshake_nonce, tvb(10, 4))
        root:add(f.flight, tvb(14, 2)):append_text(tvb(14, 2):uint() % 2 == 0 and " (client)" or " (server)")
        root:add(f.flight_length, tvb(16, 4))
        root:add(f.fragment_offset, tvb(20, 4))
        root:add(f.checksum, tvb(CHECKSUM_AT, 4))
        local lengths = checksum_matches(tvb:raw(), tvb(CHECKSUM_AT, 4):uint())
        root:add(f.checksum_good, lengths[#lengths] == tvb:len()):set_generated()
        local fragment = math.max(0, math.min(tvb:len() - HANDSHAKE_LEN, flight_length - fragment_offset))
        if fragment > 0 then
            root:add(f.fragment, tvb(HANDSHAKE_LEN, fragment))
        end
        if tvb:len() > HANDSHAKE_LEN + fragment then
            root:add(f.padding, tvb(HANDSHAKE_LEN + fragment))
        end
        summary = string.format("HANDSHAKE nonce=0x%08x flight=%d bytes %d-%d of %d", tvb(10, 4):uint(),
            tvb(14, 2):uint(), fragment_offset, fragment_offset + fragment, flight_length)
    elseif TYPE_NAMES[t] and tvb:len() >= CONTROL_LEN - 16 then
        local offset, length = tvb(10, 4):uint(), tvb(14, 4):uint()
        root:add(f.offset, tvb(10, 4))
        root:add(f.length, tvb(14, 4))
        root:add(f.packet_number, tvb(18, 8))
        if tvb:len() >= CONTROL_LEN then
            root:add(f.tag, tvb(26, 16))
        end
        if t == GRANT then
            summary = summary .. string.format(" up to %d", offset)
        elseif t == RESEND then
            summary = summary .. string.format(" bytes %d-%d", offset, offset + length)
        elseif t == ACK then
            summary = summary .. string.format(" rpcs=%d", length)
        end
    end
    return summary
end

-- Dissects a UDP payload as SDP; with `strict`, claims it only when every datagram in it is valid.
local function dissect(tvb, pinfo, tree, strict)
    local list = datagrams(tvb)
    local checked = {}
    for i, dg in ipairs(list) do
        checked[i] = problems(tvb(dg[1], dg[2]):tvb())
        if strict and #checked[i] > 0 then
            return 0
        end
    end
    pinfo.cols.protocol = "SDPT"
    local first, last
    for i, dg in ipairs(list) do
        local summary = dissect_datagram(tvb(dg[1], dg[2]):tvb(), tree, checked[i])
        first = first or summary
        last = summary
    end
    if #list == 1 then
        pinfo.cols.info = first
    else
        pinfo.cols.info = string.format("%s ... %s [%d datagrams of %d bytes, UDP GSO]", first, last, #list, list[1][2])
    end
    return tvb:len()
end

function sdpt.dissector(tvb, pinfo, tree)
    return dissect(tvb, pinfo, tree, false)
end

sdpt:register_heuristic("udp", function(tvb, pinfo, tree)
    return dissect(tvb, pinfo, tree, true) > 0
end)
DissectorTable.get("udp.port"):add_for_decode_as(sdpt)
