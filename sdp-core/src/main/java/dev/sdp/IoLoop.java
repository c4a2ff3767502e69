// Design notes: the I/O agent of a socket, in the spirit of Aeron's agents: a duty cycle (receive a
// batch, run timers, hand out events, send) over the sans-IO Endpoint, run by the I/O thread and
// equally by callers polling for their own response, with how to wait left to an IdleStrategy. It
// follows docs/ARCHITECTURE.md "Transport threading": one lock around the endpoint, events handed
// out after it is released, and datagrams sent by whichever thread queued them. Nothing a peer sends
// may stop it: whatever a duty cycle throws is contained, counted (internal_errors) and logged at most
// once a second; only a VirtualMachineError other than a stack overflow ends the loop, and then the
// socket closes loudly (its calls fail, terminated() completes exceptionally) instead of going deaf.
package dev.sdp;

import dev.sdp.io.DatagramDriver;
import dev.sdp.transport.EngineEvent;
import dev.sdp.transport.OperatorLog;
import dev.sdp.transport.TransmitBatch;
import dev.sdp.transport.TransportStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Moves datagrams between a {@link DatagramDriver} and an {@link Endpoint}. Its own thread runs the
 * duty cycle; callers run it in {@link #pollUntil}; a thread that changed the endpoint under the
 * lock finishes with {@link #unlockAfterChange}.
 */
final class IoLoop {
    /**
     * While callers poll, the I/O thread sleeps in slices this long instead of competing with them
     * for the lock and the CPU; waking it each time a caller stops cost more latency (measured) than
     * a datagram arriving in that gap waiting one slice at most.
     */
    private static final long CALLER_POLL_PARK_NANOS = 200_000;
    /** How long a datagram waits for room in a full socket send buffer before it counts as lost. */
    private static final long SEND_BUFFER_WAIT_NANOS = 2_000_000;
    /** At most this many datagrams per cycle, so timers and sending are not starved by a flood. */
    private static final int RECEIVE_BATCH = 64;
    /**
     * Before due timers run, up to this many more: loss recovery must judge what is missing by what
     * has arrived, not by what a thread that was off the CPU has not read yet (a RESEND for packets
     * waiting in the socket makes the sender send them twice). Still bounded, so a flood delays
     * timers by a few milliseconds at most instead of starving them.
     */
    private static final int RECEIVE_BEFORE_TIMERS = 1024;
    /**
     * Bytes of datagrams taken from the endpoint per round of sending: enough for a full UDP GSO call
     * (64 datagrams of 1500 bytes), at least 16 and at most 64 datagrams.
     */
    private static final int SEND_BATCH_BYTES = 256 << 10;
    /** A missed wakeup costs at most this long: the I/O thread never blocks longer, timer or not. */
    private static final long MAX_BLOCK_NANOS = 1_000_000_000L;
    private static final System.Logger LOG = System.getLogger(SdpSocket.class.getName());

    private final DatagramDriver driver;
    private final ReentrantLock lock;
    private final Endpoint endpoint;
    private final Dispatcher dispatcher;
    private final TransportStats stats;
    /** Datagrams to send, taken from the endpoint a batch at a time. */
    private final TransmitBatch sendBatch;
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(1 << 16);
    private final IdleStrategy idle;
    private final IdleStrategy standAside = new IdleStrategy.Park(CALLER_POLL_PARK_NANOS);
    private final Thread thread;
    /** Callers polling in {@link #pollUntil}; while there are any, the I/O thread stays out of their way. */
    private final AtomicInteger pollingCallers = new AtomicInteger();
    /** When the blocked I/O thread wakes by itself; 0 while it is awake. Changes wake it for earlier timers. */
    private volatile long sleepsUntil;
    private volatile boolean running = true;
    private final Consumer<Throwable> onFailure;
    /** Contained errors: each counted, logged at most once a second. */
    private static final OperatorLog CONTAINED = new OperatorLog(SdpSocket.class, System.Logger.Level.ERROR);

    /** {@code onFailure} runs on the I/O thread if the loop itself fails, after which it has stopped. */
    IoLoop(DatagramDriver driver, ReentrantLock lock, Endpoint endpoint, Dispatcher dispatcher, TransportStats stats,
           long idleSpinNanos, String threadName, int maxDatagram, Consumer<Throwable> onFailure) {
        this.onFailure = onFailure;
        this.sendBatch = new TransmitBatch(Math.clamp(SEND_BATCH_BYTES / maxDatagram, 16, 64), maxDatagram);
        this.driver = driver;
        this.lock = lock;
        this.endpoint = endpoint;
        this.dispatcher = dispatcher;
        this.stats = stats;
        this.idle = new IdleStrategy.SpinThenBlock(idleSpinNanos, this::block);
        this.thread = Thread.ofPlatform().daemon().name(threadName).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Stops the I/O thread and waits for it (at most 5 s); the driver stays open for a last flush. */
    void stop() {
        running = false;
        driver.wakeup();
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (running) {
                if (pollingCallers.get() > 0) {
                    standAside.idle(0);
                } else {
                    idle.idle(pollContained());
                }
            }
        } catch (Throwable fatal) {
            running = false;
            LOG.log(System.Logger.Level.ERROR, "the I/O thread " + thread.getName() + " failed; the socket is closed", fatal);
            onFailure.accept(fatal);
        }
    }

    /**
     * {@link #pollOnce}, containing what it throws: a datagram or timer that trips a bug costs that
     * datagram or timer run, not the socket. A VirtualMachineError (other than a stack overflow)
     * leaves the process in no state to go on, so it propagates.
     */
    private int pollContained() {
        try {
            return pollOnce();
        } catch (StackOverflowError | RuntimeException e) {
            contained(e);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Error e) {
            contained(e);
        }
        return 0;
    }

    private void contained(Throwable error) {
        stats.increment(TransportStats.Counter.INTERNAL_ERRORS);
        CONTAINED.log("contained an error in the I/O duty cycle (counted in internal_errors; logged at most once a second)", error);
    }

    /**
     * Polls the socket from a caller's thread until {@code done} completes or {@code deadline}
     * (System.nanoTime scale) passes: a fast response then reaches the caller without a hand-off.
     */
    void pollUntil(Future<?> done, long deadline) {
        pollingCallers.incrementAndGet();
        try {
            while (!done.isDone() && System.nanoTime() < deadline) {
                // Whoever holds the lock is doing the work already.
                if (!lock.isLocked()) {
                    pollContained();
                }
                // Yield, not spin: the thread that will answer may need this core (see IdleStrategy).
                Thread.yield();
            }
        } finally {
            pollingCallers.decrementAndGet();
            if (!done.isDone()) {
                // The answer is slower than the polling: wake the I/O thread now rather than after the
                // rest of its park slice, so a slow round trip does not also wait for that.
                LockSupport.unpark(thread);
            }
        }
    }

    /**
     * One duty cycle: receive what is waiting, run due timers, hand out the events, then send what
     * the endpoint queued (the ACK of a response goes out after its caller has it). Returns how many
     * datagrams it received.
     */
    private int pollOnce() {
        List<EngineEvent<PendingCall>> batch = dispatcher.batch();
        int from = batch.size();
        int received;
        lock.lock();
        try {
            long now = System.nanoTime();
            received = receiveBatch(now, RECEIVE_BATCH);
            if (received == RECEIVE_BATCH && endpoint.nextTimerNanos() <= now) {
                received += receiveBatch(now, RECEIVE_BEFORE_TIMERS);
            }
            endpoint.onTimer(now);
            endpoint.drainEvents(batch);
        } finally {
            lock.unlock();
        }
        dispatcher.dispatch(batch, from);
        lock.lock();
        unlockAfterChange();
        return received;
    }

    /**
     * Ends a change to the endpoint made under the lock by this thread: sends the datagrams it
     * queued, takes its events, releases the lock, then hands the events out on this thread.
     */
    void unlockAfterChange() {
        List<EngineEvent<PendingCall>> batch = dispatcher.batch();
        int from = batch.size();
        try {
            flush();
            endpoint.drainEvents(batch);
            if (endpoint.nextTimerNanos() < sleepsUntil) {
                // The change set a timer the blocked I/O thread would sleep through.
                driver.wakeup();
            }
        } finally {
            lock.unlock();
        }
        dispatcher.dispatch(batch, from);
    }

    /** Blocks the I/O thread until a datagram may be waiting, a change wakes it, or the next timer is due. */
    private void block() {
        long now = System.nanoTime();
        long deadline;
        lock.lock();
        try {
            deadline = Math.min(endpoint.nextTimerNanos(), now + MAX_BLOCK_NANOS);
            sleepsUntil = deadline;
        } finally {
            lock.unlock();
        }
        try {
            driver.await(deadline - now);
        } catch (IOException e) {
            throw new UncheckedIOException("the socket can no longer wait for datagrams", e);
        } finally {
            sleepsUntil = 0;
        }
    }

    private int receiveBatch(long now, int most) {
        int received = 0;
        while (received < most) {
            receiveBuffer.clear();
            InetSocketAddress from;
            try {
                from = driver.receive(receiveBuffer);
            } catch (IOException e) {
                return received;
            }
            if (from == null) {
                return received;
            }
            receiveBuffer.flip();
            endpoint.receive(from, receiveBuffer, now);
            received++;
        }
        return received;
    }

    /**
     * Sends what the endpoint queued, a batch at a time; consecutive equal-size datagrams to one peer
     * go in one driver call when the driver can (UDP GSO).
     */
    private void flush() {
        long now = System.nanoTime();
        int segment = sendBatch.slotSize();
        int most = driver.maxSegments(segment);
        while (true) {
            sendBatch.clear();
            int count = endpoint.pollTransmit(now, sendBatch);
            for (int i = 0; i < count; ) {
                int run = most > 1 ? sendBatch.runLength(i, most) : 1;
                sendRun(run == 1 ? sendBatch.datagram(i) : sendBatch.run(i, run), segment, sendBatch.destination(i));
                i += run;
            }
            if (count < sendBatch.capacity()) {
                return;
            }
        }
    }

    /**
     * Sends datagrams of {@code segment} bytes (position to limit; the last may be shorter). A full
     * send buffer (the peer has not read yet; on loopback the sender is charged until it does)
     * empties within microseconds, so wait for it a little rather than lose the datagrams and their
     * resend interval; past that, or on an error, what is left counts as lost and the protocol's
     * recovery sends it again.
     */
    private void sendRun(ByteBuffer datagrams, int segment, InetSocketAddress to) {
        long giveUp = 0;
        try {
            while (!driver.sendSegments(datagrams, segment, to)) {
                long now = System.nanoTime();
                if (giveUp == 0) {
                    giveUp = now + SEND_BUFFER_WAIT_NANOS;
                    stats.increment(TransportStats.Counter.SEND_BUFFER_FULL);
                } else if (now > giveUp) {
                    notSent(datagrams, segment);
                    return;
                }
                Thread.onSpinWait();
            }
            stats.increment(TransportStats.Counter.SEND_CALLS);
        } catch (IOException e) {
            notSent(datagrams, segment);
        }
    }

    private void notSent(ByteBuffer datagrams, int segment) {
        stats.add(TransportStats.Counter.DATAGRAMS_NOT_SENT, Math.max(1, (datagrams.remaining() + segment - 1) / segment));
    }
}
