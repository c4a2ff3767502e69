package dev.sdp.session;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdp.credentials.DemoCredentials;
import dev.sdp.testing.TestCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading PEM credentials: what works, and errors that name the file at fault. */
class PemCredentialsTest {
    private static final Path DEMO = TestCredentials.get().demoDirectory();

    @Test
    void theDemoCredentialsLoad() throws Exception {
        assertNotNull(PemCredentials.sslContext(DEMO.resolve(DemoCredentials.SERVER_CERT), DEMO.resolve(DemoCredentials.SERVER_KEY),
                DEMO.resolve(DemoCredentials.CA_CERT)));
    }

    /** A server started with another certificate's key must fail at start, not at each client's handshake. */
    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedAtOnce() {
        Path certificate = DEMO.resolve(DemoCredentials.SERVER_CERT);
        Path key = DEMO.resolve(DemoCredentials.CLIENT_KEY);
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                () -> PemCredentials.sslContext(certificate, key, DEMO.resolve(DemoCredentials.CA_CERT)));
        assertTrue(e.getMessage().contains(key.toString()) && e.getMessage().contains(certificate.toString()), e.getMessage());
    }

    @Test
    void aCorruptCertificateFileIsNamed(@TempDir Path dir) throws Exception {
        Path corrupt = dir.resolve("ca.pem");
        Files.writeString(corrupt, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class, () -> PemCredentials.sslContext(null, null, corrupt));
        assertTrue(e.getMessage().contains(corrupt.toString()), e.getMessage());
    }
}
