package dev.sdp.kv;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory clients hold in the server, as Redis counts its client buffers: the commands being
 * read (query buffers) and the replies not yet written (output buffers), over every connection and
 * SDP request. Each client's buffer in each direction has its own limit, and all of them together a
 * global one; memory is taken as it is allocated, so a command that only promises to be large costs
 * nothing. The first {@link #UNCOUNTED} bytes of each buffer do not count toward the global limit:
 * every connection has stream buffers that large anyway, and small commands then still run while
 * hostile clients hold all the rest.
 */
final class ClientMemory {
    /** Bytes of each buffer the global limit does not count. */
    static final int UNCOUNTED = 16 * 1024;

    private final KvServer.Limits limits;
    private final AtomicLong held = new AtomicLong();

    ClientMemory(KvServer.Limits limits) {
        this.limits = limits;
    }

    /** Bytes held beyond each buffer's uncounted part, over all clients. */
    long held() {
        return held.get();
    }

    /** A buffer for one command being read. */
    Buffer query() {
        return new Buffer(limits.clientQueryBufferLimit(), "command", "client-query-buffer-limit",
                KvServer.Counter.CLIENT_QUERY_BUFFER_LIMIT_DISCONNECTIONS);
    }

    /** A buffer for the replies one client has not been sent yet. */
    Buffer output() {
        return new Buffer(limits.clientOutputBufferLimit(), "reply", "client-output-buffer-limit",
                KvServer.Counter.CLIENT_OUTPUT_BUFFER_LIMIT_DISCONNECTIONS);
    }

    /** Memory refused: the client gets this error, and is disconnected and counted under {@code counter}. */
    static final class LimitException extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient KvServer.Counter counter;

        LimitException(KvServer.Counter counter, String error) {
            super(error);
            this.counter = counter;
        }

        KvServer.Counter counter() {
            return counter;
        }
    }

    /** The memory of one client's buffer in one direction; used by one thread at a time. */
    final class Buffer implements Resp.Allowance {
        private final long limit;
        private final String what;
        private final String limitName;
        private final KvServer.Counter overLimit;
        private long size;

        private Buffer(long limit, String what, String limitName, KvServer.Counter overLimit) {
            this.limit = limit;
            this.what = what;
            this.limitName = limitName;
            this.overLimit = overLimit;
        }

        /** The most this buffer may hold. */
        long limit() {
            return limit;
        }

        @Override
        public void take(long bytes) throws LimitException {
            long grown = size + bytes;
            if (grown > limit) {
                throw new LimitException(overLimit, "ERR " + what + " exceeds " + limitName + " (" + limit + " bytes)");
            }
            long counted = counted(grown) - counted(size);
            if (counted > 0 && held.addAndGet(counted) > limits.clientBuffersMemory()) {
                held.addAndGet(-counted);
                throw new LimitException(KvServer.Counter.CLIENT_BUFFERS_FULL_DISCONNECTIONS, "OOM client buffers are full ("
                        + limits.clientBuffersMemory() + " bytes over all clients); " + what + " refused");
            }
            size = grown;
        }

        /** Gives back {@code bytes} of what this buffer took. */
        void release(long bytes) {
            long shrunk = size - bytes;
            held.addAndGet(counted(shrunk) - counted(size));
            size = shrunk;
        }

        /** Gives back everything this buffer took. */
        void releaseAll() {
            release(size);
        }
    }

    private static long counted(long size) {
        return Math.max(0, size - UNCOUNTED);
    }
}
