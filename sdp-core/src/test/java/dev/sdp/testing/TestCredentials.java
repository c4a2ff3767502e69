package dev.sdp.testing;

import dev.sdp.credentials.DemoCredentials;
import dev.sdp.credentials.DemoCredentials.Authority;
import dev.sdp.credentials.DemoCredentials.Issued;
import dev.sdp.credentials.DemoCredentials.Purpose;
import dev.sdp.session.PemCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Throw-away PKI for tests, written as PEM to a temporary directory and loaded back through
 * {@link PemCredentials}, the way users load theirs: a trusted CA with server and client
 * certificates, and the bad cases (a foreign CA, an expired certificate, a certificate for
 * another host).
 */
public final class TestCredentials {
    private static TestCredentials shared;

    private final Path dir;
    private final Authority ca = Authority.create("SDP test CA", Duration.ofDays(1));
    private final Authority foreignCa = Authority.create("Some other CA", Duration.ofDays(1));

    private TestCredentials() throws IOException {
        dir = Files.createTempDirectory("sdp-test-pki");
        dir.toFile().deleteOnExit();
        DemoCredentials.generate(dir.resolve("demo"), List.of());
    }

    /** One set per test JVM: generating keys costs tens of milliseconds. */
    public static synchronized TestCredentials get() {
        if (shared == null) {
            try {
                shared = new TestCredentials();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** The directory {@link DemoCredentials#generate} filled. */
    public Path demoDirectory() {
        return dir.resolve("demo");
    }

    /** A server certificate for the loopback names, trusting the test CA (for client certificates). */
    public SSLContext server() {
        return context("server", ca.issue("sdp-server", DemoCredentials.LOOPBACK_NAMES, Purpose.SERVER), ca);
    }

    /** A server certificate that covers {@code names} only. */
    public SSLContext serverFor(List<String> names) {
        return context("server-" + names.hashCode(), ca.issue("sdp-server", names, Purpose.SERVER), ca);
    }

    /** A server certificate for the loopback names that expired an hour ago. */
    public SSLContext expiredServer() {
        Instant now = Instant.now();
        return context("expired", ca.issue("sdp-server", DemoCredentials.LOOPBACK_NAMES, Purpose.SERVER,
                now.minus(Duration.ofDays(2)), now.minus(Duration.ofHours(1))), ca);
    }

    /** A client that trusts the test CA and presents a certificate named {@code CN=name}. */
    public SSLContext client(String name) {
        return context("client-" + name, ca.issue(name, List.of(), Purpose.CLIENT), ca);
    }

    /** A client that trusts the test CA and has no certificate. */
    public SSLContext anonymousClient() {
        return context("anonymous", null, ca);
    }

    /** A client (with a certificate of its own CA) that trusts only a foreign CA. */
    public SSLContext clientTrustingAnotherCa() {
        return context("foreign", foreignCa.issue("stranger", List.of(), Purpose.CLIENT), foreignCa);
    }

    private SSLContext context(String name, Issued identity, Authority trusted) {
        try {
            Path trust = dir.resolve(name + "-trust.pem");
            trusted.writeCertificate(trust);
            if (identity == null) {
                return PemCredentials.sslContext(null, null, trust);
            }
            Path cert = dir.resolve(name + ".pem");
            Path key = dir.resolve(name + "-key.pem");
            identity.write(cert, key);
            return PemCredentials.sslContext(cert, key, trust);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
