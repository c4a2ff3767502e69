package dev.sdp.testing;

import dev.sdp.session.SessionEvent;
import dev.sdp.session.Sessions;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A handshake layer on a {@link TestNetwork}, keeping the events it reports for the test to inspect. */
public final class SessionsEndpoint implements TestNetwork.Endpoint {
    private final Sessions sessions;
    private final List<SessionEvent> events = new ArrayList<>();

    public SessionsEndpoint(Sessions sessions) {
        this.sessions = sessions;
    }

    /** The sessions established and the failures reported so far, oldest first (confirmations are left out). */
    public List<SessionEvent> events() {
        return events;
    }

    @Override
    public boolean drainEvents(long now) {
        return TestNetwork.drain(sessions::pollEvent, e -> {
            if (!(e instanceof SessionEvent.Confirmed)) {
                events.add(e);
            }
        });
    }

    @Override
    public void receive(InetSocketAddress from, ByteBuffer datagram, long now) {
        sessions.receive(from, datagram, now);
    }

    @Override
    public InetSocketAddress pollTransmit(ByteBuffer out) {
        return sessions.pollTransmit(out);
    }

    @Override
    public void onTimer(long now) {
        sessions.onTimer(now);
    }

    @Override
    public long nextTimerNanos() {
        return sessions.nextTimerNanos();
    }
}
