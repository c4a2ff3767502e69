// Design notes: the hand-back from worker threads to the thread that owns a sans-IO state machine
// (docs/ARCHITECTURE.md "Transport threading"): workers add what they made, the owner applies it on
// its own thread when it next runs, and the owner is woken only when the queue goes from empty to
// not empty, so a burst of outcomes costs one wake-up. The count may dip below zero when the owner
// takes an outcome before its worker has counted it; the worker then sees a non-zero count and does
// not wake an owner that is already draining, which is what a lost wake-up would need to be harmless.
package dev.sdp.transport;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Outcomes of work done on worker threads, waiting for the owner's thread: any thread may
 * {@link #add}; the owner {@link #poll}s until null each time it runs, having been told by
 * {@code ready} that outcomes wait.
 *
 * @param <T> what a worker hands back
 */
public final class WorkerOutcomes<T> {
    private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
    /** Outcomes added and not yet taken; the worker that finds it 0 runs {@link #ready}. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final Runnable ready;

    /** {@code ready} runs on the adding worker's thread when outcomes wait and none did before. */
    public WorkerOutcomes(Runnable ready) {
        this.ready = ready;
    }

    /** Hands an outcome back (any thread). */
    public void add(T outcome) {
        queue.add(outcome);
        if (waiting.getAndIncrement() == 0) {
            ready.run();
        }
    }

    /** The next outcome, or null (the owner's thread). */
    public T poll() {
        T outcome = queue.poll();
        if (outcome != null) {
            waiting.decrementAndGet();
        }
        return outcome;
    }
}
