package dev.sdp.cli;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Addresses as users write and read them: {@code HOST:PORT}, IPv6 in brackets and in its short form ({@code [::1]:7000}). */
final class Addresses {
    /**
     * An address as {@link InetSocketAddress#toString} writes it in a library's message:
     * {@code name/127.0.0.1:7000} or {@code /[0:0:0:0:0:0:0:1]:7000}.
     */
    private static final Pattern IN_MESSAGE = Pattern.compile(
            "(?<![\\w./-])([A-Za-z0-9][\\w.-]*)?/(\\d{1,3}(?:\\.\\d{1,3}){3}|\\[[0-9A-Fa-f:.]+(?:%\\w+)?]):(\\d{1,5})\\b");

    private Addresses() {
    }

    /**
     * Parses {@code HOST:PORT} for picocli: {@code [v6]:PORT} for IPv6 literals, and {@code :PORT}
     * for every interface.
     */
    static final class Converter implements CommandLine.ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            int colon = value.lastIndexOf(':');
            if (colon < 0 || colon == value.length() - 1) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not HOST:PORT");
            }
            String host = value.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(value.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' has no numeric port");
            }
            if (port < 0 || port > 65535) {
                throw new CommandLine.TypeConversionException("port out of range in '" + value + "'");
            }
            return new InetSocketAddress(host(host), port);
        }
    }

    /** Parses a {@code HOST} for picocli, as {@link #host}. */
    static final class HostConverter implements CommandLine.ITypeConverter<InetAddress> {
        @Override
        public InetAddress convert(String value) {
            return host(value);
        }
    }

    /**
     * A host as given: an IP literal, every interface when empty, or a name, resolved but kept
     * (a client checks the server certificate against it).
     */
    static InetAddress host(String host) {
        if (host.isEmpty()) {
            return everyInterface();
        }
        try {
            return InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException notALiteral) {
            // A host name: resolved below.
        }
        try {
            return InetAddress.getByAddress(host, InetAddress.getByName(host).getAddress());
        } catch (UnknownHostException e) {
            throw new CommandLine.TypeConversionException("unknown host '" + host + "'");
        }
    }

    /**
     * The wildcard address that reaches this host on every interface: {@code ::}, which on Linux
     * also takes IPv4, when the host has IPv6 at all, otherwise {@code 0.0.0.0}.
     */
    static InetAddress everyInterface() {
        try {
            boolean ipv6 = !Boolean.getBoolean("java.net.preferIPv4Stack") && NetworkInterface.networkInterfaces()
                    .flatMap(NetworkInterface::inetAddresses).anyMatch(a -> a instanceof Inet6Address);
            return InetAddress.ofLiteral(ipv6 ? "::" : "0.0.0.0");
        } catch (IOException e) {
            return InetAddress.ofLiteral("0.0.0.0");
        }
    }

    /** A local address of the same family as {@code peer}, any port: what a client binds to reach it. */
    static InetSocketAddress clientBindFor(InetSocketAddress peer) {
        return new InetSocketAddress(InetAddress.ofLiteral(peer.getAddress() instanceof Inet6Address ? "::" : "0.0.0.0"), 0);
    }

    /** {@code HOST:PORT} with the address in numbers, IPv6 in brackets and in its short form. */
    static String format(InetSocketAddress address) {
        return bracketed(literal(address.getAddress())) + ":" + address.getPort();
    }

    private static String bracketed(String literal) {
        return literal.contains(":") ? "[" + literal + "]" : literal;
    }

    /** An address in numbers; IPv6 in the short form of RFC 5952 ({@code ::1}, not {@code 0:0:0:0:0:0:0:1}). */
    static String literal(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        String full = address.getHostAddress();
        int percent = full.indexOf('%');
        String scope = percent < 0 ? "" : full.substring(percent);
        byte[] bytes = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (bytes[2 * i] & 0xFF) << 8 | bytes[2 * i + 1] & 0xFF;
        }
        // The longest run of two or more zero groups (the first of equals) becomes "::".
        int runStart = -1;
        int runLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > runLength) {
                runStart = i;
                runLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == runStart) {
                text.append("::");
                i += runLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.append(scope).toString();
    }

    /**
     * {@code text} with every address a library wrote with {@link InetSocketAddress#toString}
     * ({@code localhost/127.0.0.1:7000}) as users write it: the host name if there is one,
     * otherwise the short numeric form ({@code [::1]:7000}).
     */
    static String inMessage(String text) {
        Matcher m = IN_MESSAGE.matcher(text);
        return m.replaceAll(found -> {
            String host = found.group(1) != null ? found.group(1) : shortened(found.group(2));
            return Matcher.quoteReplacement(host + ":" + found.group(3));
        });
    }

    /** {@code [0:0:0:0:0:0:0:1]} as {@code [::1]}; anything else as it is. */
    private static String shortened(String literal) {
        if (!literal.startsWith("[")) {
            return literal;
        }
        try {
            return bracketed(literal(InetAddress.ofLiteral(literal.substring(1, literal.length() - 1))));
        } catch (IllegalArgumentException unusualForm) {
            return literal;
        }
    }
}
