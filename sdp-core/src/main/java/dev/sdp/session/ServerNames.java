// Design notes: sessions are keyed by address (docs/PROTOCOL.md §1), but a caller names its peer, and
// two names may resolve to one address. A session verified for one name must not carry calls made
// to another unless the peer's certificate covers that one too (docs/PROTOCOL.md §5b, "Names"). This
// is the check TLS does in the handshake (RFC 6125 §6: DNS names in subjectAltName, a wildcard
// only as the whole left-most label; IP addresses against IP entries; no fallback to the CN when the
// certificate has subjectAltNames), done again for each new name without a new handshake.
package dev.sdp.session;

import java.net.InetAddress;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** Whether a server certificate covers a host name or IP address, as TLS host-name verification decides it. */
public final class ServerNames {
    private static final int DNS_NAME = 2;
    private static final int IP_ADDRESS = 7;

    private ServerNames() {
    }

    /** Whether {@code certificate} names {@code host} (a DNS name or an IP literal). */
    public static boolean covers(X509Certificate certificate, String host) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return false;
        }
        if (names == null) {
            return false;
        }
        InetAddress ip = literal(host);
        for (List<?> entry : names) {
            int type = (Integer) entry.get(0);
            String value = String.valueOf(entry.get(1));
            if (ip != null ? type == IP_ADDRESS && ip.equals(literal(value)) : type == DNS_NAME && dnsMatches(value, host)) {
                return true;
            }
        }
        return false;
    }

    private static InetAddress literal(String host) {
        try {
            return InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException notALiteral) {
            return null;
        }
    }

    /** RFC 6125 §6.4: case-insensitive; {@code *} only as the whole left-most label, matching exactly one label. */
    private static boolean dnsMatches(String pattern, String host) {
        String p = trimDot(pattern).toLowerCase(Locale.ROOT);
        String h = trimDot(host).toLowerCase(Locale.ROOT);
        if (!p.startsWith("*.")) {
            return p.equals(h);
        }
        int dot = h.indexOf('.');
        // "*.example.com" names "a.example.com", never "example.com" or "a.b.example.com"; and never a
        // whole public suffix ("*.com"): it needs at least two labels after the wildcard.
        return dot > 0 && p.substring(1).equals(h.substring(dot)) && p.indexOf('.', 2) > 0;
    }

    private static String trimDot(String name) {
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }
}
