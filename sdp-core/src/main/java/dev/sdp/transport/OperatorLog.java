// Design notes: what an operator should hear about goes to System.Logger (so it lands wherever the
// application routes java.util.logging, SLF4J or Log4j), but a peer must not be able to flood the
// log: each kind of message is written at most once a second, and the next one written says how
// many of its kind were left out in between. Counters (TransportStats) still count every case.
package dev.sdp.transport;

import java.util.concurrent.atomic.AtomicLong;

/** One kind of operator message, written through System.Logger at most once a second. */
public final class OperatorLog {
    private static final long INTERVAL_NANOS = 1_000_000_000L;

    private final System.Logger logger;
    private final System.Logger.Level level;
    private final AtomicLong lastWritten = new AtomicLong(System.nanoTime() - INTERVAL_NANOS);
    private final AtomicLong suppressed = new AtomicLong();

    /** Messages of one kind, logged by {@code owner}'s logger at {@code level}. */
    public OperatorLog(Class<?> owner, System.Logger.Level level) {
        this.logger = System.getLogger(owner.getName());
        this.level = level;
    }

    /** Writes {@code message} (a {@link java.text.MessageFormat} pattern) unless one of its kind went out less than a second ago. */
    public void log(String message, Object... arguments) {
        if (logger.isLoggable(level) && due()) {
            logger.log(level, withSuppressed(message), arguments);
        }
    }

    /** Writes {@code message} with {@code error}'s stack trace, under the same limit. */
    public void log(String message, Throwable error) {
        if (logger.isLoggable(level) && due()) {
            logger.log(level, withSuppressed(message), error);
        }
    }

    /** Whether a message may go out now; counts it as left out if not. */
    private boolean due() {
        long now = System.nanoTime();
        long last = lastWritten.get();
        if (now - last < INTERVAL_NANOS || !lastWritten.compareAndSet(last, now)) {
            suppressed.incrementAndGet();
            return false;
        }
        return true;
    }

    private String withSuppressed(String message) {
        long left = suppressed.getAndSet(0);
        return left == 0 ? message : message + " (" + left + " more like it since the last one not logged)";
    }
}
