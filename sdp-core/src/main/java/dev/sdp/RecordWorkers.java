// Design notes: the threads that seal and open large messages' records, so that neither an I/O
// thread nor a handler running on one spends milliseconds on one message while small RPCs wait
// (docs/ARCHITECTURE.md "Transport threading"; docs/PROTOCOL.md §4: records are independent). One
// pool for the process, like the JDK's common pool, sized to the cores: record work is pure CPU, so
// more threads than cores would only queue on them, and sockets share the cores anyway. Messages of one
// segment never come here: their records are sealed and opened inline, with no hand-off.
package dev.sdp;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The process-wide pool of daemon threads on which large messages' records are sealed and opened. */
final class RecordWorkers {
    private static final AtomicInteger THREADS = new AtomicInteger();
    /**
     * Its queue holds at most a task per message being sealed or opened, which the transport's budgets
     * and RPC caps already bound; idle threads end after a minute.
     */
    private static final ThreadPoolExecutor POOL = pool();

    private RecordWorkers() {
    }

    static Executor shared() {
        return POOL;
    }

    private static ThreadPoolExecutor pool() {
        int threads = Runtime.getRuntime().availableProcessors();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                task -> Thread.ofPlatform().daemon().name("sdp-records-" + THREADS.incrementAndGet()).unstarted(task));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
