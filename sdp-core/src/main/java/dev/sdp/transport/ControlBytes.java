package dev.sdp.transport;

import dev.sdp.wire.ControlHeader;
import java.nio.ByteBuffer;

/**
 * One control packet's bytes with fixed views of its authenticated part and its tag, made once,
 * so sealing or opening a control packet creates no buffer objects (the crypto layer consumes the
 * views; {@link #authenticated()} and {@link #tag()} rewind them for each use).
 */
final class ControlBytes {
    final byte[] bytes = new byte[ControlHeader.LENGTH];
    final ByteBuffer whole = ByteBuffer.wrap(bytes);
    private final ByteBuffer authenticated = ByteBuffer.wrap(bytes, 0, ControlHeader.TAG_OFFSET).slice();
    private final ByteBuffer tag = ByteBuffer.wrap(bytes, ControlHeader.TAG_OFFSET, ControlHeader.TAG_LENGTH).slice();

    ByteBuffer authenticated() {
        return authenticated.clear();
    }

    ByteBuffer tag() {
        return tag.clear();
    }
}
