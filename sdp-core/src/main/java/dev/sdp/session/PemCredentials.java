package dev.sdp.session;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds an {@link SSLContext} from PEM files, the form most deployments keep certificates in:
 * a certificate chain (leaf first) with its PKCS#8 private key, and the CA certificates to trust.
 * JDK only. Users with a PKCS#12 or JKS store build their SSLContext the usual way instead.
 */
public final class PemCredentials {
    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final String[] KEY_ALGORITHMS = {"EC", "RSA", "Ed25519", "Ed448", "RSASSA-PSS"};
    private static final char[] NO_PASSWORD = new char[0];

    private PemCredentials() {
    }

    /**
     * An SSLContext for TLS 1.3 that presents {@code certificateChain} with {@code privateKey}
     * (both may be null: no own identity, as for a client without a certificate) and trusts the
     * certificates in {@code trustedCertificates}.
     *
     * @param certificateChain PEM certificates, the leaf first, or null
     * @param privateKey the leaf's PKCS#8 private key in PEM, or null
     * @param trustedCertificates PEM certificates of the CAs to trust
     * @return the context
     * @throws IOException when a file cannot be read
     * @throws GeneralSecurityException when a file is not what it should be (or the key does not
     *     belong to the certificate), with the file named
     */
    public static SSLContext sslContext(Path certificateChain, Path privateKey, Path trustedCertificates)
            throws IOException, GeneralSecurityException {
        KeyManagerFactory kmf = null;
        if (certificateChain != null) {
            KeyStore identity = KeyStore.getInstance("PKCS12");
            identity.load(null, null);
            List<? extends Certificate> chain = certificates(certificateChain);
            PrivateKey key = privateKey(privateKey);
            checkKeyMatches(key, chain.getFirst(), privateKey, certificateChain);
            identity.setKeyEntry("identity", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(identity, NO_PASSWORD);
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (Certificate c : certificates(trustedCertificates)) {
            trust.setCertificateEntry("trusted-" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    /**
     * Fails unless {@code key} is the private key of {@code leaf}: a mismatch would otherwise show
     * only at the first handshake, as the peer's "Invalid CertificateVerify signature".
     */
    private static void checkKeyMatches(PrivateKey key, Certificate leaf, Path keyFile, Path certificateFile)
            throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            // RSASSA-PSS keys carry their own parameters; the handshake is their check.
            default -> null;
        };
        if (algorithm == null) {
            return;
        }
        byte[] probe = "sdp: does this key sign for this certificate?".getBytes(StandardCharsets.US_ASCII);
        boolean matches;
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (InvalidKeyException | SignatureException e) {
            // A certificate of another key type (an RSA certificate with an EC key, say).
            matches = false;
        }
        if (!matches) {
            throw new GeneralSecurityException("the private key in " + keyFile + " does not belong to the first certificate in "
                    + certificateFile + " (" + ((X509Certificate) leaf).getSubjectX500Principal() + ")");
        }
    }

    /**
     * The certificates in a PEM file, in file order.
     *
     * @param pem the file
     * @return its certificates, at least one
     * @throws IOException when the file cannot be read
     * @throws GeneralSecurityException when it holds no readable certificate, with the file named
     */
    public static List<? extends Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        byte[] bytes = Files.readAllBytes(pem);
        List<? extends Certificate> certs;
        try {
            certs = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes)));
        } catch (CertificateException e) {
            throw new GeneralSecurityException("no readable PEM certificate in " + pem + ": " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new GeneralSecurityException("no certificate in " + pem);
        }
        return certs;
    }

    /**
     * The PKCS#8 private key ("BEGIN PRIVATE KEY") in a PEM file.
     *
     * @param pem the file
     * @return the key
     * @throws IOException when the file cannot be read
     * @throws GeneralSecurityException when it holds no key of a supported algorithm, with the file named
     */
    public static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        if (pem == null) {
            throw new GeneralSecurityException("a certificate chain needs its private key file");
        }
        Matcher m = PRIVATE_KEY.matcher(Files.readString(pem));
        if (!m.find()) {
            throw new GeneralSecurityException("no PKCS#8 private key (BEGIN PRIVATE KEY) in " + pem);
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1)));
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // Try the next algorithm: PKCS#8 names it inside, but KeyFactory wants it up front.
            }
        }
        throw new GeneralSecurityException("unsupported private key in " + pem);
    }
}
