package dev.sdp.cli;

import dev.sdp.transport.TransportConfig;
import dev.sdp.wire.DataHeader;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import picocli.CommandLine.Option;

/** The transport settings a user matches to their link ({@code --mtu}), for every command that opens SDP sockets. */
final class TransportOptions {
    /** The transport's own default MTU, named in the help text; a test keeps the two equal. */
    static final int DEFAULT_MTU = 1500;
    /** An IP packet's length is a 16-bit field. */
    private static final int LARGEST_MTU = 65535;

    @Option(names = "--mtu", paramLabel = "BYTES", defaultValue = "" + DEFAULT_MTU,
            description = "IP MTU of the path: datagrams are this less the IPv4 or IPv6 and UDP headers, by the family of the"
                    + " bound address (default ${DEFAULT-VALUE})")
    private int mtu;

    /** The settings of a socket bound to {@code bind}: its address family sets the IP header the datagrams leave room for. */
    TransportConfig config(InetSocketAddress bind) {
        boolean ipv6 = bind.getAddress() instanceof Inet6Address;
        TransportConfig defaults = TransportConfig.builder().ipv6(ipv6).build();
        int smallest = DataHeader.MIN_STRIDE + defaults.mtu() - defaults.stride();
        Checks.within("--mtu", mtu, smallest, LARGEST_MTU);
        return TransportConfig.builder().mtu(mtu).ipv6(ipv6).build();
    }
}
