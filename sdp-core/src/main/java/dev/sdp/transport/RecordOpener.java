// Design notes: opening the records of large incoming messages off the engine's thread, so a small
// RPC never waits behind a large message's decryption (docs/PROTOCOL.md §4: every record of a message
// opens on its own, from its message ID and index; docs/ARCHITECTURE.md "Transport threading").
// The engine thread still places packets and keeps every piece of bookkeeping; it hands a record whose
// bytes are all present to the message's Job and learns the outcome from drain(), under its own
// lock, where the outcome is applied exactly as an inline opening would have been. One message's
// records open one at a time (its plaintext buffers are shared between neighbouring records), different
// messages in parallel. With a direct executor everything happens inside the call that queued it,
// which is how the sans-IO tests run it.
package dev.sdp.transport;

import dev.sdp.crypto.RecordStatus;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/** Opens large messages' records on an executor and queues the outcomes for the engine's thread. */
final class RecordOpener {
    /** One record to open, and then how it went. */
    static final class Work {
        final Job job;
        final int segment;
        final int indexInSegment;
        final int record;
        final int start;
        final int end;
        /** The segment's protected bytes and its plaintext buffer, taken on the engine thread when queued. */
        final byte[] sealed;
        final byte[] plain;
        RecordStatus status;
        boolean finalError;
        /** The whole message, assembled by the worker that opened its last record. */
        ByteBuffer payload;

        Work(Job job, int segment, int indexInSegment, int record, int start, int end, byte[] sealed, byte[] plain) {
            this.job = job;
            this.segment = segment;
            this.indexInSegment = indexInSegment;
            this.record = record;
            this.start = start;
            this.end = end;
            this.sealed = sealed;
            this.plain = plain;
        }
    }

    /** The records of one message waiting to be opened, opened one at a time in the order they were queued. */
    final class Job implements Runnable {
        final Rpc rpc;
        final IncomingMessage message;
        private final ArrayDeque<Work> queue = new ArrayDeque<>();
        private boolean scheduled;
        /** Set by the engine thread when the message is dropped: queued records are then skipped. */
        private volatile boolean cancelled;
        /** Records this job opened successfully; touched only by the job's run, one thread at a time. */
        private int opened;
        private int yieldCounter;

        Job(Rpc rpc, IncomingMessage message) {
            this.rpc = rpc;
            this.message = message;
        }

        void add(Work work) {
            boolean start;
            synchronized (this) {
                queue.add(work);
                start = !scheduled;
                scheduled = true;
            }
            if (start) {
                executor.execute(this);
            }
        }

        void cancel() {
            cancelled = true;
        }

        @Override
        public void run() {
            while (true) {
                Work work;
                synchronized (this) {
                    work = queue.poll();
                    if (work == null) {
                        scheduled = false;
                        return;
                    }
                }
                if (cancelled) {
                    continue;
                }
                message.openOffThread(work);
                if (work.status == RecordStatus.OK && ++opened == message.recordsLeftToWorker()) {
                    work.payload = message.assemble();
                }
                done.add(work);
                if ((++yieldCounter & 3) == 0) {
                    Thread.yield();
                }
            }
        }
    }

    private final Executor executor;
    private final WorkerOutcomes<Work> done;

    /**
     * @param executor runs the jobs (a direct executor runs them inside the call that queues a record)
     * @param ready called, on a worker thread, when outcomes wait and none did before: the engine's
     *              thread should call {@link Engine#drainRecordWork} soon
     */
    RecordOpener(Executor executor, Runnable ready) {
        this.executor = executor;
        this.done = new WorkerOutcomes<>(ready);
    }

    Job job(Rpc rpc, IncomingMessage message) {
        return new Job(rpc, message);
    }

    /** The next outcome to apply on the engine thread, or null. */
    Work poll() {
        return done.poll();
}
}
