// Design notes: the batched Linux driver (docs/ARCHITECTURE.md "Datagram drivers"). Sending, a run
// of equal-size datagrams to one peer lying back to back in memory goes to the kernel in one
// sendmsg with a UDP_SEGMENT control message (UDP GSO: the kernel cuts it into datagrams, up to 64
// of them, about 64 KiB); receiving, UDP_GRO lets the kernel hand over a run of datagrams of one
// flow in one recvmsg, with their size in a UDP_GRO control message, and the driver gives them out
// one by one. The receive buffer is forced past net.core.rmem_max when the process may
// (SO_RCVBUFFORCE, CAP_NET_ADMIN). Should the kernel refuse GSO at run time (a device without
// checksum offload answers EIO), the driver falls back to one datagram per call for good.
// Threading: send/sendSegments and receive are each called by one thread at a time (the socket's
// lock serialises them); await by the I/O thread; wakeup and close by anyone.
package dev.sdp.io;

import static dev.sdp.io.LinuxSyscalls.AF_INET;
import static dev.sdp.io.LinuxSyscalls.AF_INET6;
import static dev.sdp.io.LinuxSyscalls.CMSG_HEADER;
import static dev.sdp.io.LinuxSyscalls.EAGAIN;
import static dev.sdp.io.LinuxSyscalls.EINTR;
import static dev.sdp.io.LinuxSyscalls.IOVEC_SIZE;
import static dev.sdp.io.LinuxSyscalls.MSGHDR_SIZE;
import static dev.sdp.io.LinuxSyscalls.MSG_CONTROL;
import static dev.sdp.io.LinuxSyscalls.MSG_CONTROLLEN;
import static dev.sdp.io.LinuxSyscalls.MSG_IOV;
import static dev.sdp.io.LinuxSyscalls.MSG_IOVLEN;
import static dev.sdp.io.LinuxSyscalls.MSG_NAME;
import static dev.sdp.io.LinuxSyscalls.MSG_NAMELEN;
import static dev.sdp.io.LinuxSyscalls.SOCKADDR_MAX;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;

/** A {@link DatagramDriver} over a Linux UDP socket driven through FFM, with UDP GSO and GRO. */
public final class LinuxDatagramDriver implements DatagramDriver {
    /** What the kernel accepts in one GSO call: at most 64 segments, and one UDP datagram's worth of payload. */
    private static final int GSO_MAX_SEGMENTS = 64;
    private static final int GSO_MAX_BYTES = 65_000;
    private static final int SOCKET_BUFFER = 8 << 20;
    /** A GRO receiver holds bursts of 64 KiB buffers; forced to this when the process is allowed to. */
    private static final int FORCED_RECEIVE_BUFFER = 32 << 20;
    /** The largest UDP payload, and so the largest run GRO hands over at once. */
    private static final int RECEIVE_AREA = 1 << 16;
    private static final int CONTROL_AREA = 64;
    private static final int MSG_TRUNC = 0x20;
    private static final int EIO = 5;
    private static final int EINVAL = 22;
    private static final int ENOPROTOOPT = 92;
    private static final int EOPNOTSUPP = 95;
    private static final int ENOBUFS = 105;
    private static final System.Logger LOG = System.getLogger(LinuxDatagramDriver.class.getName());
    private static final AtomicBoolean WARNED_SMALL = new AtomicBoolean();
    private static final AtomicBoolean WARNED_GSO = new AtomicBoolean();
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    /** Freed when the driver is unreachable: a thread still inside a call never touches freed memory. */
    private final Arena arena = Arena.ofAuto();
    private final int fd;
    private final int wakeFd;
    private final boolean ipv6;
    private final InetSocketAddress local;
    private volatile boolean closed;
    private volatile boolean gso = true;
    private final boolean gro;
    private final int receiveBufferBytes;

    private final LinuxSyscalls.Errno sendErrno;
    private final MemorySegment sendHeader;
    private final MemorySegment sendIovec;
    private final MemorySegment sendControl;
    private final MemorySegment sendAddress;
    /** The address {@link #sendAddress} holds, encoded for {@link #encodedLength} bytes. */
    private InetSocketAddress encodedFor;
    private int encodedLength;
    /** Native memory for heap buffers, which the kernel cannot read directly. */
    private final MemorySegment sendCopy;
    /** The engine sends from, and the I/O loop receives into, one long-lived buffer each: their memory is looked up once. */
    private final BufferMemory sentFrom = new BufferMemory();
    private final BufferMemory receivedInto = new BufferMemory();

    private final LinuxSyscalls.Errno receiveErrno;
    private final MemorySegment receiveHeader;
    private final MemorySegment receiveArea;
    private final MemorySegment receiveControl;
    private final MemorySegment receiveAddress;
    /** The sender of the run being given out, and its raw sockaddr, so a repeat sender costs no new object. */
    private InetSocketAddress lastSender;
    private final byte[] lastSenderRaw = new byte[SOCKADDR_MAX];
    private int lastSenderRawLength;
    /** The run of datagrams received together (GRO): [next, end) in {@link #receiveArea}, each {@code runSegment} long. */
    private int runNext;
    private int runEnd;
    private int runSegment;

    private final LinuxSyscalls.Errno awaitErrno;
    private final MemorySegment pollFds;
    private final MemorySegment timeout;
    private final MemorySegment wakeCounter;
    private final LinuxSyscalls.Errno wakeErrno;
    private final MemorySegment wakeOne;

    /** Whether this process can use the driver (Linux, a supported CPU, native access allowed); null if so, else why not. */
    public static Throwable unavailable() {
        return LinuxSyscalls.unavailable();
    }

    /** Binds to {@code address} (port 0 picks a free port); IPv4 and IPv6 both work. */
    public LinuxDatagramDriver(InetSocketAddress address) throws IOException {
        if (unavailable() != null) {
            throw new IOException("the Linux datagram driver is not available here", unavailable());
        }
        ipv6 = address.getAddress() instanceof Inet6Address;
        sendErrno = new LinuxSyscalls.Errno(arena);
        receiveErrno = new LinuxSyscalls.Errno(arena);
        awaitErrno = new LinuxSyscalls.Errno(arena);
        wakeErrno = new LinuxSyscalls.Errno(arena);
        LinuxSyscalls.Errno setup = new LinuxSyscalls.Errno(arena);
        fd = LinuxSyscalls.socket(setup, ipv6 ? AF_INET6 : AF_INET,
                LinuxSyscalls.SOCK_DGRAM | LinuxSyscalls.SOCK_NONBLOCK | LinuxSyscalls.SOCK_CLOEXEC);
        if (fd < 0) {
            throw error("socket", setup.value());
        }
        wakeFd = LinuxSyscalls.eventfd(setup, LinuxSyscalls.EFD_NONBLOCK | LinuxSyscalls.EFD_CLOEXEC);
        if (wakeFd < 0) {
            int errno = setup.value();
            LinuxSyscalls.close(setup, fd);
            throw error("eventfd", errno);
        }
        try {
            MemorySegment option = arena.allocate(INT);
            setOption(setup, LinuxSyscalls.SOL_SOCKET, LinuxSyscalls.SO_RCVBUF, option, SOCKET_BUFFER);
            setOption(setup, LinuxSyscalls.SOL_SOCKET, LinuxSyscalls.SO_SNDBUF, option, SOCKET_BUFFER);
            // Past rmem_max/wmem_max only with CAP_NET_ADMIN; without it these fail and the above stands.
            boolean forced = setOption(setup, LinuxSyscalls.SOL_SOCKET, LinuxSyscalls.SO_RCVBUFFORCE, option, FORCED_RECEIVE_BUFFER);
            setOption(setup, LinuxSyscalls.SOL_SOCKET, LinuxSyscalls.SO_SNDBUFFORCE, option, SOCKET_BUFFER);
            gro = setOption(setup, LinuxSyscalls.SOL_UDP, LinuxSyscalls.UDP_GRO, option, 1);
            sendAddress = arena.allocate(SOCKADDR_MAX, 8);
            int length = encode(address, sendAddress);
            if (LinuxSyscalls.bind(setup, fd, sendAddress, length) < 0) {
                // As java.nio reports it, so callers see one exception type whichever driver serves.
                throw new BindException(LinuxSyscalls.describe(setup.value()));
            }
            receiveAddress = arena.allocate(SOCKADDR_MAX, 8);
            MemorySegment addressLength = arena.allocate(INT);
            addressLength.set(INT, 0, SOCKADDR_MAX);
            if (LinuxSyscalls.getsockname(setup, fd, receiveAddress, addressLength) < 0) {
                throw error("getsockname", setup.value());
            }
            local = decode(receiveAddress, addressLength.get(INT, 0));
            receiveBufferBytes = intOption(setup, LinuxSyscalls.SO_RCVBUF, option);
            logSocket(forced);
        } catch (IOException | RuntimeException e) {
            closeDescriptors();
            throw e;
        }
        sendHeader = arena.allocate(MSGHDR_SIZE, 8);
        sendIovec = arena.allocate(IOVEC_SIZE, 8);
        sendControl = arena.allocate(CMSG_HEADER + 8, 8);
        sendCopy = arena.allocate(RECEIVE_AREA, 8);
        sendHeader.set(ValueLayout.ADDRESS, MSG_NAME, sendAddress);
        sendHeader.set(ValueLayout.ADDRESS, MSG_IOV, sendIovec);
        sendHeader.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
        // The GSO control message: cmsg_len = CMSG_LEN(sizeof(uint16_t)), level SOL_UDP, type UDP_SEGMENT.
        sendControl.set(ValueLayout.JAVA_LONG, 0, CMSG_HEADER + 2);
        sendControl.set(ValueLayout.JAVA_INT, 8, LinuxSyscalls.SOL_UDP);
        sendControl.set(ValueLayout.JAVA_INT, 12, LinuxSyscalls.UDP_SEGMENT);

        receiveHeader = arena.allocate(MSGHDR_SIZE, 8);
        MemorySegment receiveIovec = arena.allocate(IOVEC_SIZE, 8);
        receiveArea = arena.allocate(RECEIVE_AREA, 64);
        receiveControl = arena.allocate(CONTROL_AREA, 8);
        receiveIovec.set(ValueLayout.ADDRESS, 0, receiveArea);
        receiveIovec.set(ValueLayout.JAVA_LONG, 8, RECEIVE_AREA);
        receiveHeader.set(ValueLayout.ADDRESS, MSG_NAME, receiveAddress);
        receiveHeader.set(ValueLayout.ADDRESS, MSG_IOV, receiveIovec);
        receiveHeader.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
        receiveHeader.set(ValueLayout.ADDRESS, MSG_CONTROL, receiveControl);

        // struct pollfd {int fd; short events; short revents;} × 2: the socket, then the wake-up eventfd.
        pollFds = arena.allocate(16, 8);
        pollFds.set(ValueLayout.JAVA_INT, 0, fd);
        pollFds.set(ValueLayout.JAVA_SHORT, 4, LinuxSyscalls.POLLIN);
        pollFds.set(ValueLayout.JAVA_INT, 8, wakeFd);
        pollFds.set(ValueLayout.JAVA_SHORT, 12, LinuxSyscalls.POLLIN);
        timeout = arena.allocate(16, 8);
        wakeCounter = arena.allocate(8, 8);
        wakeOne = arena.allocate(8, 8);
        wakeOne.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    private boolean setOption(LinuxSyscalls.Errno errno, int level, int name, MemorySegment option, int value) {
        option.set(INT, 0, value);
        return LinuxSyscalls.setsockopt(errno, fd, level, name, option, 4) == 0;
    }

    private int intOption(LinuxSyscalls.Errno errno, int name, MemorySegment option) throws IOException {
        MemorySegment length = arena.allocate(INT);
        length.set(INT, 0, 4);
        if (LinuxSyscalls.getsockopt(errno, fd, LinuxSyscalls.SOL_SOCKET, name, option, length) < 0) {
            throw error("getsockopt", errno.value());
        }
        return option.get(INT, 0);
    }

    private void logSocket(boolean forced) {
        boolean small = receiveBufferBytes / 2 < NioDatagramDriver.SMALL_RECEIVE_BUFFER;
        LOG.log(small && WARNED_SMALL.compareAndSet(false, true) ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                "UDP socket {0} (Linux driver, GSO on send, GRO on receive: {1}): receive buffer {2} bytes as the kernel"
                        + " reports it ({3}): grants are sized to it", local, gro, receiveBufferBytes,
                forced ? "forced past net.core.rmem_max" : "capped at net.core.rmem_max; forcing it needs CAP_NET_ADMIN");
    }

    @Override
    public InetSocketAddress receive(ByteBuffer into) throws IOException {
        if (closed) {
            throw new IOException("the socket is closed");
        }
        if (runNext >= runEnd) {
            int received = receiveRun();
            if (received < 0) {
                return null;
            }
            if (received == 0) {
                return lastSender;
            }
        }
        int length = Math.min(runSegment, runEnd - runNext);
        int copied = Math.min(length, into.remaining());
        MemorySegment.copy(receiveArea, runNext, receivedInto.of(into), into.position(), copied);
        into.position(into.position() + copied);
        runNext += length;
        return lastSender;
    }

    /** Takes the next datagram, or run of datagrams, from the socket; returns its length, -1 if none is waiting. */
    private int receiveRun() throws IOException {
        while (true) {
            receiveHeader.set(ValueLayout.JAVA_INT, MSG_NAMELEN, SOCKADDR_MAX);
            receiveHeader.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CONTROL_AREA);
            long received = LinuxSyscalls.recvmsg(receiveErrno, fd, receiveHeader, LinuxSyscalls.MSG_DONTWAIT);
            if (received < 0) {
                int errno = receiveErrno.value();
                if (errno == EAGAIN) {
                    return -1;
                }
                if (errno == EINTR) {
                    continue;
                }
                throw error("recvmsg", errno);
            }
            if ((receiveHeader.get(ValueLayout.JAVA_INT, LinuxSyscalls.MSG_FLAGS) & MSG_TRUNC) != 0) {
                continue;
            }
            int segment = groSegment();
            runNext = 0;
            runEnd = (int) received;
            runSegment = segment > 0 ? segment : runEnd;
            rememberSender(receiveHeader.get(ValueLayout.JAVA_INT, MSG_NAMELEN));
            return runEnd;
        }
    }

    /** The segment size in a UDP_GRO control message, or 0 if the kernel sent none (a single datagram). */
    private int groSegment() {
        long controlLength = receiveHeader.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN);
        long at = 0;
        while (at + CMSG_HEADER <= controlLength) {
            long length = receiveControl.get(ValueLayout.JAVA_LONG, at);
            int level = receiveControl.get(ValueLayout.JAVA_INT, at + 8);
            int type = receiveControl.get(ValueLayout.JAVA_INT, at + 12);
            if (length < CMSG_HEADER) {
                return 0;
            }
            if (level == LinuxSyscalls.SOL_UDP && type == LinuxSyscalls.UDP_GRO) {
                // An int on current kernels; read a 16-bit one too, should a kernel send that.
                return length >= CMSG_HEADER + 4 ? receiveControl.get(INT, at + CMSG_HEADER)
                        : Short.toUnsignedInt(receiveControl.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + CMSG_HEADER));
            }
            at += (length + 7) & ~7L;
        }
        return 0;
    }

    private void rememberSender(int rawLength) throws IOException {
        int length = Math.min(rawLength, SOCKADDR_MAX);
        if (lastSender != null && length == lastSenderRawLength
                && MemorySegment.mismatch(receiveAddress, 0, length, MemorySegment.ofArray(lastSenderRaw), 0, length) < 0) {
            return;
        }
        MemorySegment.copy(receiveAddress, ValueLayout.JAVA_BYTE, 0, lastSenderRaw, 0, length);
        lastSenderRawLength = length;
        lastSender = decode(receiveAddress, length);
    }

    @Override
    public boolean send(ByteBuffer datagram, InetSocketAddress to) throws IOException {
        return sendmsg(datagram, 0, to);
    }

    @Override
    public int maxSegments(int segmentSize) {
        return gso ? Math.max(1, Math.min(GSO_MAX_SEGMENTS, GSO_MAX_BYTES / Math.max(1, segmentSize))) : 1;
    }

    @Override
    public boolean sendSegments(ByteBuffer datagrams, int segmentSize, InetSocketAddress to) throws IOException {
        if (datagrams.remaining() <= segmentSize) {
            return send(datagrams, to);
        }
        if (gso && datagrams.remaining() <= segmentSize * maxSegments(segmentSize)) {
            try {
                return sendmsg(datagrams, segmentSize, to);
            } catch (GsoRefused refused) {
                gso = false;
                if (WARNED_GSO.compareAndSet(false, true)) {
                    LOG.log(System.Logger.Level.WARNING, "UDP GSO refused on {0} ({1}): sending one datagram per call from now on",
                            local, refused.getMessage());
                }
            }
        }
        return DatagramDriver.super.sendSegments(datagrams, segmentSize, to);
    }

    /** Thrown when the kernel refuses a GSO send as such (not for lack of room). */
    private static final class GsoRefused extends IOException {
        GsoRefused(String message) {
            super(message);
        }
    }

    /** One sendmsg of position..limit, cut into {@code segmentSize} datagrams when that is not 0. */
    private boolean sendmsg(ByteBuffer datagrams, int segmentSize, InetSocketAddress to) throws IOException {
        if (closed) {
            throw new IOException("the socket is closed");
        }
        int length = datagrams.remaining();
        long start;
        if (datagrams.isDirect()) {
            start = sentFrom.of(datagrams).address() + datagrams.position();
        } else {
            if (length > sendCopy.byteSize()) {
                throw new IOException("a datagram of " + length + " bytes is larger than UDP allows");
            }
            MemorySegment.copy(MemorySegment.ofBuffer(datagrams), 0, sendCopy, 0, length);
            start = sendCopy.address();
        }
        if (to != encodedFor) {
            encodedLength = encode(to, sendAddress);
            encodedFor = to;
        }
        sendIovec.set(ValueLayout.JAVA_LONG, 0, start);
        sendIovec.set(ValueLayout.JAVA_LONG, 8, length);
        sendHeader.set(ValueLayout.JAVA_INT, MSG_NAMELEN, encodedLength);
        if (segmentSize > 0) {
            sendControl.set(ValueLayout.JAVA_SHORT, CMSG_HEADER, (short) segmentSize);
            sendHeader.set(ValueLayout.ADDRESS, MSG_CONTROL, sendControl);
            sendHeader.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_HEADER + 8);
        } else {
            sendHeader.set(ValueLayout.ADDRESS, MSG_CONTROL, MemorySegment.NULL);
            sendHeader.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, 0);
        }
        while (true) {
            long sent = LinuxSyscalls.sendmsg(sendErrno, fd, sendHeader, LinuxSyscalls.MSG_DONTWAIT);
            if (sent >= 0) {
                datagrams.position(datagrams.limit());
                return true;
            }
            int errno = sendErrno.value();
            if (errno == EAGAIN || errno == ENOBUFS) {
                return false;
            }
            if (errno == EINTR) {
                continue;
            }
            if (segmentSize > 0 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP)) {
                throw new GsoRefused("errno " + errno);
            }
            throw error("sendmsg to " + to, errno);
        }
    }

    /** All the memory of a buffer, remembered for the buffer of the last call. */
    private static final class BufferMemory {
        private ByteBuffer buffer;
        private MemorySegment memory;

        MemorySegment of(ByteBuffer b) {
            if (b != buffer) {
                memory = MemorySegment.ofBuffer(b.duplicate().clear());
                buffer = b;
            }
            return memory;
        }
    }

    @Override
    public void await(long timeoutNanos) throws IOException {
        long nanos = Math.max(0, timeoutNanos);
        timeout.set(ValueLayout.JAVA_LONG, 0, nanos / 1_000_000_000L);
        timeout.set(ValueLayout.JAVA_LONG, 8, nanos % 1_000_000_000L);
        int ready = LinuxSyscalls.ppoll(awaitErrno, pollFds, 2, timeout);
        if (ready < 0) {
            int errno = awaitErrno.value();
            if (errno == EINTR || closed) {
                return;
            }
            throw error("ppoll", errno);
        }
        if ((pollFds.get(ValueLayout.JAVA_SHORT, 14) & LinuxSyscalls.POLLIN) != 0) {
            // Reset the eventfd's counter, so the next wait blocks again.
            LinuxSyscalls.read(awaitErrno, wakeFd, wakeCounter, 8);
        }
    }

    @Override
    public void wakeup() {
        if (!closed) {
            LinuxSyscalls.write(wakeErrno, wakeFd, wakeOne, 8);
        }
    }

    @Override
    public int receiveBufferBytes() {
        return receiveBufferBytes;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeDescriptors();
    }

    private void closeDescriptors() {
        LinuxSyscalls.Errno errno = new LinuxSyscalls.Errno(arena);
        LinuxSyscalls.close(errno, fd);
        LinuxSyscalls.close(errno, wakeFd);
    }

    /** Writes {@code address} as a sockaddr of this socket's family; returns its length. */
    private int encode(InetSocketAddress address, MemorySegment into) throws IOException {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            throw new IOException("unresolved address " + address);
        }
        into.fill((byte) 0);
        byte[] raw = ip.getAddress();
        if (!ipv6) {
            if (raw.length != 4) {
                throw new IOException("an IPv4 socket cannot send to " + address);
            }
            into.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            into.set(NET_SHORT, 2, (short) address.getPort());
            MemorySegment.copy(raw, 0, into, ValueLayout.JAVA_BYTE, 4, 4);
            return 16;
        }
        into.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET6);
        into.set(NET_SHORT, 2, (short) address.getPort());
        if (raw.length == 4) {
            // IPv4-mapped (::ffff:a.b.c.d), as a dual-stack socket reaches IPv4 peers.
            into.set(ValueLayout.JAVA_BYTE, 18, (byte) 0xff);
            into.set(ValueLayout.JAVA_BYTE, 19, (byte) 0xff);
            MemorySegment.copy(raw, 0, into, ValueLayout.JAVA_BYTE, 20, 4);
        } else {
            MemorySegment.copy(raw, 0, into, ValueLayout.JAVA_BYTE, 8, 16);
            into.set(ValueLayout.JAVA_INT, 24, ((Inet6Address) ip).getScopeId());
        }
        return 28;
    }

    /** Reads a sockaddr_in or sockaddr_in6; IPv4-mapped IPv6 addresses come back as IPv4, as java.nio gives them. */
    private static InetSocketAddress decode(MemorySegment address, int length) throws IOException {
        int family = Short.toUnsignedInt(address.get(ValueLayout.JAVA_SHORT, 0));
        int port = Short.toUnsignedInt(address.get(NET_SHORT, 2));
        try {
            if (family == AF_INET && length >= 8) {
                byte[] raw = address.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE);
                return new InetSocketAddress(InetAddress.getByAddress(raw), port);
            }
            if (family == AF_INET6 && length >= 24) {
                byte[] raw = address.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
                InetAddress ip = InetAddress.getByAddress(raw);
                if (ip instanceof Inet6Address && length >= 28) {
                    int scope = address.get(ValueLayout.JAVA_INT, 24);
                    if (scope != 0) {
                        ip = Inet6Address.getByAddress(null, raw, scope);
                    }
                }
                return new InetSocketAddress(ip, port);
            }
        } catch (UnknownHostException e) {
            throw new IOException("a malformed socket address", e);
        }
        throw new IOException("a socket address of family " + family);
    }

    private static IOException error(String call, int errno) {
        return new IOException(call + " failed: " + LinuxSyscalls.describe(errno) + " (errno " + errno + ")");
    }
}
