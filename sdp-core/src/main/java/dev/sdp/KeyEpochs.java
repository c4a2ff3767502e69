// Design notes: the public view of which keys a session uses now, so the API does not hand out an
// engine type (the engine's own record may change with it). Epochs follow docs/PROTOCOL.md §7: a
// side's send epoch moves on key updates; the receive epoch is the one the peer was last seen using.
package dev.sdp;

import dev.sdp.crypto.CipherSuite;

/**
 * Which keys an encrypted session uses now: its cipher suite, the epoch this side sends under, and
 * the epoch the peer was last seen sending under.
 *
 * @param suite the session's cipher suite
 * @param sendEpoch the key epoch this side seals new messages under
 * @param receiveEpoch the key epoch the peer was last seen sealing under
 */
public record KeyEpochs(CipherSuite suite, int sendEpoch, int receiveEpoch) {
}
