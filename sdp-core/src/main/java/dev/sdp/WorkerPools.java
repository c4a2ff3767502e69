// Design notes: the threads that do a socket's expensive work off its I/O thread, so that neither
// the I/O thread nor a handler running on it spends milliseconds on one message or one handshake
// while small RPCs wait (docs/ARCHITECTURE.md "Transport threading"). Two pools for the process, like
// the JDK's common pool, shared by every socket: record work (sealing and opening the records of
// large messages; docs/PROTOCOL.md §4: records are independent), as many threads as cores, since it
// is pure CPU; and handshake work (feeding complete flights to TLS engines: key agreement, signatures,
// certificate checks), half the cores, so that a flood of ClientHellos, already rate-limited per
// source, can take at most that share of the machine and never the record work's threads. Messages of
// one segment and small flights' bookkeeping never come here.
package dev.sdp;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The process-wide pools of daemon threads that seal and open large messages' records and run TLS handshakes. */
final class WorkerPools {
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    /**
     * Queues hold at most a task per message being sealed or opened, or per handshake flight, which
     * the transport's budgets and the handshake caps already bound; idle threads end after a minute.
     */
    private static final ThreadPoolExecutor RECORDS = pool("sdp-records-", CORES);
    private static final ThreadPoolExecutor HANDSHAKES = pool("sdp-handshakes-", Math.max(1, CORES / 2));

    private WorkerPools() {
    }

    static Executor records() {
        return RECORDS;
    }

    static Executor handshakes() {
        return HANDSHAKES;
    }

    private static ThreadPoolExecutor pool(String name, int threads) {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                task -> Thread.ofPlatform().daemon().name(name + count.incrementAndGet()).unstarted(task));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
