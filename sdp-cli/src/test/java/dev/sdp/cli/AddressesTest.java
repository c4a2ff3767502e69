package dev.sdp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Addresses as users read them, and library messages rewritten to match. */
class AddressesTest {
    @Test
    void ipv6IsWrittenInTheShortFormOfRfc5952() {
        for (String[] c : new String[][] {
                {"0:0:0:0:0:0:0:1", "::1"}, {"::", "::"}, {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
                {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, {"fe80:0:0:0:0:0:0:0", "fe80::"}, {"fd00:0:0:0:0:0:0:2", "fd00::2"},
                {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"}, {"127.0.0.1", "127.0.0.1"}}) {
            assertEquals(c[1], Addresses.literal(InetAddress.ofLiteral(c[0])), c[0]);
        }
        assertEquals("[::1]:7000", Addresses.format(new InetSocketAddress(InetAddress.ofLiteral("::1"), 7000)));
    }

    @Test
    void addressesInLibraryMessagesLoseTheSlashAndTakeTheShortForm() {
        assertEquals("no answer from [::1]:7101 for 5000 ms", Addresses.inMessage("no answer from /[0:0:0:0:0:0:0:1]:7101 for 5000 ms"));
        assertEquals("no response from localhost:7000 by the deadline", Addresses.inMessage("no response from localhost/127.0.0.1:7000 by the deadline"));
        assertEquals("bind to 10.0.0.1:80 failed", Addresses.inMessage("bind to /10.0.0.1:80 failed"));
        assertEquals("no such file: /tmp/10.0.0.1/ca.pem", Addresses.inMessage("no such file: /tmp/10.0.0.1/ca.pem"));
    }

    @Test
    void aFailureSaidTwiceBySeveralLayersIsSaidOnce() {
        assertEquals("TLS handshake with 127.0.0.1:9 did not complete within 1000 ms",
                Main.message(new Exception("TLS handshake with /127.0.0.1:9 failed: TLS handshake with /127.0.0.1:9 did not complete within 1000 ms")));
        assertEquals("handshake failed: bad certificate", Main.message(new Exception("handshake failed: handshake failed: bad certificate")));
        assertEquals("TLS handshake with x failed: TLS engine failed: PKIX path building failed",
                Main.message(new Exception("TLS handshake with x failed: TLS engine failed: sun.security.validator.ValidatorException: PKIX path building failed")));
    }
}
