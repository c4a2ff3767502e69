package dev.sdp;

import dev.sdp.io.DatagramDriver;
import dev.sdp.io.LinuxDatagramDriver;
import dev.sdp.io.NioDatagramDriver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How an {@link SdpSocket} moves datagrams to and from the kernel. {@link #AUTO}, the default,
 * takes {@link #LINUX} where it works and {@link #NIO} elsewhere; the system property
 * {@code sdp.io} ({@code auto}, {@code linux} or {@code nio}) sets the default for a whole process,
 * as tests and benchmarks do to compare the two.
 */
public enum DatagramIo {
    /** {@link #LINUX} on Linux when this code may call native functions, else {@link #NIO}. */
    AUTO,
    /**
     * Linux system calls through the FFM API: runs of datagrams go to the kernel in one call (UDP
     * GSO) and come back in one call (UDP GRO), and the receive buffer is forced past
     * {@code net.core.rmem_max} when the process has CAP_NET_ADMIN. Needs native access
     * ({@code --enable-native-access=ALL-UNNAMED}, or the module's name).
     */
    LINUX,
    /** {@link java.nio.channels.DatagramChannel}: one system call per datagram, any platform. */
    NIO;

    private static final System.Logger LOG = System.getLogger(DatagramIo.class.getName());
    private static final AtomicBoolean EXPLAINED = new AtomicBoolean();

    /** The default: {@code sdp.io} if set, else {@link #AUTO}. */
    static DatagramIo fromSystemProperty() {
        String value = System.getProperty("sdp.io", "auto");
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sdp.io must be auto, linux or nio, not " + value, e);
        }
    }

    /** Opens a driver of this kind bound to {@code address}. */
    DatagramDriver open(InetSocketAddress address) throws IOException {
        return switch (this) {
            case NIO -> new NioDatagramDriver(address);
            case LINUX -> new LinuxDatagramDriver(address);
            case AUTO -> linuxUsable() ? new LinuxDatagramDriver(address) : new NioDatagramDriver(address);
        };
    }

    private static boolean linuxUsable() {
        if (!"Linux".equals(System.getProperty("os.name"))) {
            return false;
        }
        // Checked before touching the FFM bindings: without native access they would print the
        // JDK's warning (or throw, under --illegal-native-access=deny).
        if (!DatagramIo.class.getModule().isNativeAccessEnabled()) {
            explainOnce("native access is not enabled (start the JVM with --enable-native-access=ALL-UNNAMED)");
            return false;
        }
        Throwable why = LinuxDatagramDriver.unavailable();
        if (why != null) {
            explainOnce(String.valueOf(why.getMessage()));
            return false;
        }
        return true;
    }

    private static void explainOnce(String why) {
        if (EXPLAINED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.INFO, "SDP sends one datagram per system call (java.nio): the batched Linux driver"
                    + " (UDP GSO/GRO) is not used because {0}", why);
        }
    }
}
