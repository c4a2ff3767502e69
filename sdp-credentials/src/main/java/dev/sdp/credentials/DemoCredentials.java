package dev.sdp.credentials;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throw-away credentials for demos and tests: a certificate authority, and server and client
 * certificates it signs, written as PEM files (EC P-256, SHA-256). Nothing here is meant for
 * production, and nothing it writes belongs in version control.
 *
 * <p>{@link #generate} writes, into one directory: {@value #CA_CERT} (the CA certificate, the
 * trust anchor of both sides), {@value #SERVER_CERT} with {@value #SERVER_KEY}, and
 * {@value #CLIENT_CERT} with {@value #CLIENT_KEY}; certificate files hold the chain, leaf first.
 */
public final class DemoCredentials {
    /** The CA certificate both sides trust. */
    public static final String CA_CERT = "ca.pem";
    /** The server's certificate chain. */
    public static final String SERVER_CERT = "server.pem";
    /** The server's private key (PKCS#8). */
    public static final String SERVER_KEY = "server-key.pem";
    /** The client's certificate chain (for mutual TLS). */
    public static final String CLIENT_CERT = "client.pem";
    /** The client's private key (PKCS#8). */
    public static final String CLIENT_KEY = "client-key.pem";
    /** Names a server certificate covers when none are given: the loopback names. */
    public static final List<String> LOOPBACK_NAMES = List.of("localhost", "127.0.0.1", "::1");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration DEFAULT_VALIDITY = Duration.ofDays(30);

    private DemoCredentials() {
    }

    /** What a leaf certificate may be used for. */
    public enum Purpose { SERVER, CLIENT }

    /** A certificate with its private key; {@code chain} starts with the certificate itself. */
    public record Issued(List<X509Certificate> chain, PrivateKey key) {
        /** The certificate itself. */
        public X509Certificate certificate() {
            return chain.getFirst();
        }

        /** Writes the chain and the key as PEM (the key readable by the owner only). */
        public void write(Path certificateFile, Path keyFile) {
            writePem(certificateFile, chain.toArray(), false);
            writePem(keyFile, new Object[] {pkcs8(key)}, true);
        }
    }

    /** A certificate authority that signs leaf certificates. */
    public record Authority(Issued self) {
        /** A new self-signed CA named {@code name}, valid from now for {@code validity}. */
        public static Authority create(String name, Duration validity) {
            KeyPair pair = newKeyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=" + name);
            X509Certificate cert = sign(subject, subject, pair.getPrivate(), pair.getPublic(), now.minusSeconds(60), now.plus(validity),
                    true, null, List.of());
            return new Authority(new Issued(List.of(cert), pair.getPrivate()));
        }

        /**
         * Issues a leaf certificate for {@code commonName}, covering {@code names} (host names or IP
         * literals) as subject alternative names, valid from {@code notBefore} to {@code notAfter}.
         */
        public Issued issue(String commonName, List<String> names, Purpose purpose, Instant notBefore, Instant notAfter) {
            KeyPair pair = newKeyPair();
            X509Certificate ca = self.certificate();
            X509Certificate cert = sign(new X500Name(ca.getSubjectX500Principal().getName()), new X500Name("CN=" + commonName),
                    self.key(), pair.getPublic(), notBefore, notAfter, false, purpose, names);
            return new Issued(List.of(cert, ca), pair.getPrivate());
        }

        /** Writes the CA certificate (the trust anchor) as PEM. */
        public void writeCertificate(Path file) {
            writePem(file, new Object[] {self.certificate()}, false);
        }

        /** {@link #issue} valid from a minute ago for the default validity (30 days). */
        public Issued issue(String commonName, List<String> names, Purpose purpose) {
            Instant now = Instant.now();
            return issue(commonName, names, purpose, now.minusSeconds(60), now.plus(DEFAULT_VALIDITY));
        }
    }

    /**
     * Writes a new CA, a server certificate covering {@code serverNames} (the loopback names when
     * empty) and a client certificate into {@code dir} (created if needed); returns {@code dir}.
     */
    public static Path generate(Path dir, List<String> serverNames) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Authority ca = Authority.create("SDP demo CA " + Long.toHexString(RANDOM.nextLong()), DEFAULT_VALIDITY);
        List<String> names = serverNames.isEmpty() ? LOOPBACK_NAMES : serverNames;
        ca.writeCertificate(dir.resolve(CA_CERT));
        ca.issue("sdp-server", names, Purpose.SERVER).write(dir.resolve(SERVER_CERT), dir.resolve(SERVER_KEY));
        ca.issue("sdp-client", List.of(), Purpose.CLIENT).write(dir.resolve(CLIENT_CERT), dir.resolve(CLIENT_KEY));
        return dir;
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 is not available", e);
        }
    }

    private static X509Certificate sign(X500Name issuer, X500Name subject, PrivateKey issuerKey,
                                        java.security.PublicKey subjectKey, Instant notBefore, Instant notAfter, boolean ca,
                                        Purpose purpose, List<String> names) {
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM).abs().add(BigInteger.ONE),
                    Date.from(notBefore), Date.from(notAfter), subject, subjectKey);
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                builder.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(purpose == Purpose.SERVER ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
            }
            if (!names.isEmpty()) {
                GeneralName[] general = names.stream().map(DemoCredentials::generalName).toArray(GeneralName[]::new);
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(general));
            }
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create a certificate for " + subject, e);
        }
    }

    private static GeneralName generalName(String name) {
        boolean ipLiteral = name.contains(":") || name.chars().allMatch(c -> c == '.' || Character.isDigit(c));
        if (!ipLiteral) {
            return new GeneralName(GeneralName.dNSName, name);
        }
        try {
            return new GeneralName(GeneralName.iPAddress, InetAddress.ofLiteral(name).getHostAddress());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a host name or IP literal: " + name, e);
        }
    }

    private static Object pkcs8(PrivateKey key) {
        try {
            return new JcaPKCS8Generator(key, null).generate();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writePem(Path file, Object[] objects, boolean secret) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            for (Object o : objects) {
                writer.writeObject(o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.deleteIfExists(file);
            if (secret && file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
