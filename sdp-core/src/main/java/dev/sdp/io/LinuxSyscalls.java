// Design notes: the few Linux system calls the batched driver needs, bound once through the FFM
// API (java.lang.foreign), with errno captured per call. Constants and struct layouts are those of
// the Linux 64-bit ABI shared by x86-64 and aarch64 (msghdr, iovec, cmsghdr, sockaddr_in/in6,
// pollfd, timespec); `available()` says no on anything else, and the NIO driver serves there.
package dev.sdp.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** Linux socket, poll and eventfd calls over FFM, for {@link LinuxDatagramDriver}. */
final class LinuxSyscalls {
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_RCVBUFFORCE = 33;
    static final int SOL_UDP = 17;
    static final int UDP_SEGMENT = 103;
    static final int UDP_GRO = 104;
    static final int MSG_DONTWAIT = 0x40;
    static final short POLLIN = 1;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;

    static final int EINTR = 4;
    static final int EAGAIN = 11;

    /** struct msghdr: name, namelen, iov, iovlen, control, controllen, flags. */
    static final int MSGHDR_SIZE = 56;
    static final long MSG_NAME = 0;
    static final long MSG_NAMELEN = 8;
    static final long MSG_IOV = 16;
    static final long MSG_IOVLEN = 24;
    static final long MSG_CONTROL = 32;
    static final long MSG_CONTROLLEN = 40;
    static final long MSG_FLAGS = 48;
    /** struct iovec: base, len. */
    static final int IOVEC_SIZE = 16;
    /** struct cmsghdr: len (size_t), level, type, then data aligned to 8. */
    static final int CMSG_HEADER = 16;
    /** sockaddr_storage. */
    static final int SOCKADDR_MAX = 128;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_HANDLE = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    private static final MethodHandle SOCKET;
    private static final MethodHandle SETSOCKOPT;
    private static final MethodHandle GETSOCKOPT;
    private static final MethodHandle BIND;
    private static final MethodHandle GETSOCKNAME;
    private static final MethodHandle SENDMSG;
    private static final MethodHandle RECVMSG;
    private static final MethodHandle PPOLL;
    private static final MethodHandle EVENTFD;
    private static final MethodHandle WRITE;
    private static final MethodHandle READ;
    private static final MethodHandle CLOSE;
    private static final MethodHandle STRERROR;
    private static final Throwable UNAVAILABLE;

    static {
        MethodHandle socket = null, setsockopt = null, getsockopt = null, bind = null, getsockname = null, sendmsg = null,
                recvmsg = null, ppoll = null, eventfd = null, write = null, read = null, close = null, strerror = null;
        Throwable unavailable = null;
        try {
            String os = System.getProperty("os.name", "");
            String arch = System.getProperty("os.arch", "");
            if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
                throw new UnsupportedOperationException("the batched driver supports Linux on x86-64 and aarch64, not " + os + " " + arch);
            }
            SymbolLookup libc = LINKER.defaultLookup();
            socket = bind(libc, "socket", FunctionDescriptor.of(INT, INT, INT, INT));
            setsockopt = bind(libc, "setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, INT));
            getsockopt = bind(libc, "getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, PTR));
            bind = bind(libc, "bind", FunctionDescriptor.of(INT, INT, PTR, INT));
            getsockname = bind(libc, "getsockname", FunctionDescriptor.of(INT, INT, PTR, PTR));
            sendmsg = bind(libc, "sendmsg", FunctionDescriptor.of(LONG, INT, PTR, INT));
            recvmsg = bind(libc, "recvmsg", FunctionDescriptor.of(LONG, INT, PTR, INT));
            ppoll = bind(libc, "ppoll", FunctionDescriptor.of(INT, PTR, LONG, PTR, PTR));
            eventfd = bind(libc, "eventfd", FunctionDescriptor.of(INT, INT, INT));
            write = bind(libc, "write", FunctionDescriptor.of(LONG, INT, PTR, LONG));
            read = bind(libc, "read", FunctionDescriptor.of(LONG, INT, PTR, LONG));
            close = bind(libc, "close", FunctionDescriptor.of(INT, INT));
            strerror = LINKER.downcallHandle(libc.find("strerror").orElseThrow(), FunctionDescriptor.of(PTR, INT));
        } catch (Throwable e) {
            // Not Linux, no libc symbol, or native access refused (--illegal-native-access=deny).
            unavailable = e;
        }
        SOCKET = socket;
        SETSOCKOPT = setsockopt;
        GETSOCKOPT = getsockopt;
        BIND = bind;
        GETSOCKNAME = getsockname;
        SENDMSG = sendmsg;
        RECVMSG = recvmsg;
        PPOLL = ppoll;
        EVENTFD = eventfd;
        WRITE = write;
        READ = read;
        CLOSE = close;
        STRERROR = strerror;
        UNAVAILABLE = unavailable;
    }

    private static MethodHandle bind(SymbolLookup libc, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = libc.find(name).orElseThrow(() -> new UnsupportedOperationException("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, ERRNO);
    }

    private LinuxSyscalls() {
    }

    /** Null when the calls are bound, else why they are not. */
    static Throwable unavailable() {
        return UNAVAILABLE;
    }

    /**
     * Scratch for one thread's calls: the errno the last call left. Calls on one {@code Errno} must
     * not run concurrently.
     */
    static final class Errno {
        final MemorySegment state;

        Errno(Arena arena) {
            state = arena.allocate(CALL_STATE);
        }

        int value() {
            return (int) ERRNO_HANDLE.get(state, 0L);
        }
    }

    static int socket(Errno e, int domain, int type) {
        try {
            return (int) SOCKET.invokeExact(e.state, domain, type, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int setsockopt(Errno e, int fd, int level, int name, MemorySegment value, int length) {
        try {
            return (int) SETSOCKOPT.invokeExact(e.state, fd, level, name, value, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int getsockopt(Errno e, int fd, int level, int name, MemorySegment value, MemorySegment length) {
        try {
            return (int) GETSOCKOPT.invokeExact(e.state, fd, level, name, value, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bind(Errno e, int fd, MemorySegment address, int length) {
        try {
            return (int) BIND.invokeExact(e.state, fd, address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int getsockname(Errno e, int fd, MemorySegment address, MemorySegment length) {
        try {
            return (int) GETSOCKNAME.invokeExact(e.state, fd, address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long sendmsg(Errno e, int fd, MemorySegment msghdr, int flags) {
        try {
            return (long) SENDMSG.invokeExact(e.state, fd, msghdr, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long recvmsg(Errno e, int fd, MemorySegment msghdr, int flags) {
        try {
            return (long) RECVMSG.invokeExact(e.state, fd, msghdr, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ppoll(Errno e, MemorySegment fds, long count, MemorySegment timespec) {
        try {
            return (int) PPOLL.invokeExact(e.state, fds, count, timespec, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int eventfd(Errno e, int flags) {
        try {
            return (int) EVENTFD.invokeExact(e.state, 0, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long write(Errno e, int fd, MemorySegment bytes, long length) {
        try {
            return (long) WRITE.invokeExact(e.state, fd, bytes, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long read(Errno e, int fd, MemorySegment bytes, long length) {
        try {
            return (long) READ.invokeExact(e.state, fd, bytes, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(Errno e, int fd) {
        try {
            return (int) CLOSE.invokeExact(e.state, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The C library's text for {@code errno} ("Address already in use"). */
    static String describe(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Downcalls throw only what the JVM throws (errors); nothing checked. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof Error error) {
            throw error;
        }
        if (t instanceof RuntimeException runtime) {
            throw runtime;
        }
        throw new IllegalStateException(t);
    }
}
