package dev.sdp.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.credentials.DemoCredentials.Authority;
import dev.sdp.credentials.DemoCredentials.Purpose;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Host-name matching against a certificate's subjectAltNames, as RFC 6125 §6 has it. */
class ServerNamesTest {
    private static final Authority CA = Authority.create("names test CA", Duration.ofHours(1));
    private static final X509Certificate CERT = CA.issue("svc", List.of("api.example.com", "*.svc.example.com", "10.0.0.7", "::1"),
            Purpose.SERVER).certificate();

    @Test
    void dnsNamesMatchExactlyIgnoringCaseAndATrailingDot() {
        assertTrue(ServerNames.covers(CERT, "api.example.com"));
        assertTrue(ServerNames.covers(CERT, "API.Example.COM"));
        assertTrue(ServerNames.covers(CERT, "api.example.com."));
        assertFalse(ServerNames.covers(CERT, "example.com"));
        assertFalse(ServerNames.covers(CERT, "bank.example"));
        assertFalse(ServerNames.covers(CERT, "xapi.example.com"));
    }

    @Test
    void aWildcardIsOneWholeLeftMostLabel() {
        assertTrue(ServerNames.covers(CERT, "a.svc.example.com"));
        assertFalse(ServerNames.covers(CERT, "svc.example.com"), "no label for the wildcard");
        assertFalse(ServerNames.covers(CERT, "a.b.svc.example.com"), "two labels");
        assertFalse(ServerNames.covers(CERT, ".svc.example.com"), "an empty label");
    }

    @Test
    void ipLiteralsMatchIpEntriesOnly() {
        assertTrue(ServerNames.covers(CERT, "10.0.0.7"));
        assertTrue(ServerNames.covers(CERT, "0:0:0:0:0:0:0:1"), "any spelling of the same address");
        assertFalse(ServerNames.covers(CERT, "10.0.0.8"));
        X509Certificate dnsOnly = CA.issue("svc", List.of("10-0-0-7.example.com"), Purpose.SERVER).certificate();
        assertFalse(ServerNames.covers(dnsOnly, "10.0.0.7"));
    }
}
