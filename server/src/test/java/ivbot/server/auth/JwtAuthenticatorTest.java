package ivbot.server.auth;

import io.jsonwebtoken.Jwts;
import ivbot.inference.Audience;
import ivbot.server.ChatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JwtAuthenticatorTest
{
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef-test".getBytes(StandardCharsets.UTF_8);
    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);

    private JwtAuthenticator hmac()
    {
        return JwtAuthenticator.hmac(SECRET, now::get);
    }

    private static String b64(final String json)
    {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String messageOf(final Runnable action)
    {
        final ChatException ex = assertThrows(ChatException.class, action::run);
        assertEquals(401, ex.status());
        return ex.getMessage();
    }

    @Test
    void shouldAcceptValidTokenWithTrack()
    {
        final String token = new TokenIssuer(SECRET).issue("alice", Audience.INTERN, Duration.ofHours(1), now.get());
        final Principal principal = hmac().authenticate(token);
        assertEquals("alice", principal.subject());
        assertEquals(Audience.INTERN, principal.track());
        assertEquals(now.get() + 3_600_000, principal.expiresAtEpochMs());
    }

    @Test
    void shouldSayTokenExpired()
    {
        final String token = new TokenIssuer(SECRET).issue("alice", null, Duration.ofMinutes(1), now.get() - 600_000);
        assertEquals("token expired", messageOf(() -> hmac().authenticate(token)));
    }

    @Test
    void shouldExpireACachedTokenWhenTheClockPassesItsExpiry()
    {
        final JwtAuthenticator authenticator = hmac();
        final String token = new TokenIssuer(SECRET).issue("bob", null, Duration.ofMinutes(1), now.get());
        assertNull(authenticator.authenticate(token).track());
        now.addAndGet(Duration.ofMinutes(5).toMillis());
        assertEquals("token expired", messageOf(() -> authenticator.authenticate(token)));
    }

    @Test
    void shouldRefuseForeignSignature()
    {
        final String token = new TokenIssuer("another-secret-another-secret-another".getBytes(StandardCharsets.UTF_8))
            .issue("mallory", null, Duration.ofHours(1), now.get());
        assertEquals("invalid token", messageOf(() -> hmac().authenticate(token)));
    }

    @Test
    void shouldRefuseAlgNone()
    {
        final long exp = now.get() / 1000 + 3600;
        final String token = b64("{\"alg\":\"none\"}") + "." + b64("{\"sub\":\"root\",\"exp\":" + exp + "}") + ".";
        messageOf(() -> hmac().authenticate(token));
        messageOf(() -> hmac().authenticate(token.substring(0, token.length() - 1)));
    }

    @Test
    void shouldRefuseAnotherHmacAlgorithmWithTheSameSecret()
    {
        final byte[] longSecret = "0123456789abcdef".repeat(4).getBytes(StandardCharsets.UTF_8);
        final String hs512 = Jwts.builder().subject("x").expiration(new Date(now.get() + 60_000))
            .signWith(io.jsonwebtoken.security.Keys.hmacShaKeyFor(longSecret), Jwts.SIG.HS512).compact();
        messageOf(() -> JwtAuthenticator.hmac(longSecret, now::get).authenticate(hs512));
    }

    @Test
    void shouldRefuseUnknownTrackAndMissingSubjectAndOversizedToken()
    {
        final String badTrack = Jwts.builder().subject("x").claim("track", "ceo").expiration(new Date(now.get() + 60_000))
            .signWith(JwtAuthenticator.hmacKey(SECRET), Jwts.SIG.HS256).compact();
        messageOf(() -> hmac().authenticate(badTrack));
        final String noSubject = Jwts.builder().expiration(new Date(now.get() + 60_000))
            .signWith(JwtAuthenticator.hmacKey(SECRET), Jwts.SIG.HS256).compact();
        messageOf(() -> hmac().authenticate(noSubject));
        assertEquals("token too large", messageOf(() -> hmac().authenticate("a".repeat(JwtAuthenticator.MAX_TOKEN_LENGTH + 1))));
    }

    @Test
    void shouldRefuseTokenNotYetValid()
    {
        final String token = Jwts.builder().subject("x").notBefore(new Date(now.get() + 600_000))
            .expiration(new Date(now.get() + 1_200_000)).signWith(JwtAuthenticator.hmacKey(SECRET), Jwts.SIG.HS256).compact();
        assertEquals("token not yet valid", messageOf(() -> hmac().authenticate(token)));
    }

    @Test
    void shouldRefuseSecretShorterThan32Bytes()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> JwtAuthenticator.hmac("short".getBytes(StandardCharsets.UTF_8), now::get));
        assertEquals("IVBOT_JWT_SECRET is 5 bytes (expected: at least 32)", ex.getMessage());
    }

    private static Path writePem(final Path dir, final KeyPair pair) throws Exception
    {
        final Path file = dir.resolve("public.pem");
        Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n" +
            Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPublic().getEncoded()) +
            "\n-----END PUBLIC KEY-----\n");
        return file;
    }

    @Test
    void shouldVerifyRs256AndRefuseThePublicKeyUsedAsHmacSecret(@TempDir final Path dir) throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        final KeyPair pair = generator.generateKeyPair();
        final JwtAuthenticator authenticator = JwtAuthenticator.publicKey(writePem(dir, pair), now::get);
        assertEquals("RS256", authenticator.algorithm());

        final String good = Jwts.builder().subject("rsa-user").expiration(new Date(now.get() + 60_000))
            .signWith(pair.getPrivate(), Jwts.SIG.RS256).compact();
        assertEquals("rsa-user", authenticator.authenticate(good).subject());

        final String confused = Jwts.builder().subject("attacker").expiration(new Date(now.get() + 60_000))
            .signWith(io.jsonwebtoken.security.Keys.hmacShaKeyFor(Files.readAllBytes(dir.resolve("public.pem"))), Jwts.SIG.HS256)
            .compact();
        messageOf(() -> authenticator.authenticate(confused));

        final KeyPair other = generator.generateKeyPair();
        final String foreign = Jwts.builder().subject("x").expiration(new Date(now.get() + 60_000))
            .signWith(other.getPrivate(), Jwts.SIG.RS256).compact();
        messageOf(() -> authenticator.authenticate(foreign));
    }

    @Test
    void shouldVerifyEs256(@TempDir final Path dir) throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair pair = generator.generateKeyPair();
        final JwtAuthenticator authenticator = JwtAuthenticator.publicKey(writePem(dir, pair), now::get);
        assertEquals("ES256", authenticator.algorithm());
        final String token = Jwts.builder().subject("ec-user").claim("track", "campus")
            .expiration(new Date(now.get() + 60_000)).signWith(pair.getPrivate(), Jwts.SIG.ES256).compact();
        final Principal principal = authenticator.authenticate(token);
        assertEquals("ec-user", principal.subject());
        assertEquals(Audience.CAMPUS, principal.track());
    }

    @Test
    void shouldMakeDevSecretFileWithMode0600(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("state/dev-jwt-secret");
        final byte[] first = JwtSecrets.loadOrCreateDevSecret(file);
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(43, first.length);
        assertEquals(new String(first, StandardCharsets.UTF_8), new String(JwtSecrets.loadOrCreateDevSecret(file), StandardCharsets.UTF_8));
    }

    private String signed(final String payloadJson)
    {
        final String signingInput = b64("{\"alg\":\"HS256\"}") + "." + b64(payloadJson);
        try
        {
            final javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(SECRET, "HmacSHA256"));
            return signingInput + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        }
        catch (final java.security.GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    void shouldRefuseATokenWithoutExp()
    {
        assertEquals("invalid token: no exp", messageOf(() -> hmac().authenticate(signed("{\"sub\":\"alice\"}"))));
    }

    @Test
    void shouldRefuseATokenIssuedInTheFuture()
    {
        final long exp = now.get() / 1000 + 7200;
        final long dayAhead = now.get() / 1000 + 86_400;
        assertEquals("invalid token: issued in the future", messageOf(() -> hmac().authenticate(
            signed("{\"sub\":\"alice\",\"iat\":" + dayAhead + ",\"exp\":" + exp + "}"))));
        // within the clock allowance is fine
        final Principal ok = hmac().authenticate(
            signed("{\"sub\":\"alice\",\"iat\":" + (now.get() / 1000 + 20) + ",\"exp\":" + exp + "}"));
        assertEquals("alice", ok.subject());
    }

    @Test
    void shouldRefuseDatesThatAreNotNumbers()
    {
        final long exp = now.get() / 1000 + 7200;
        assertEquals("invalid token: exp must be a number", messageOf(() -> hmac().authenticate(
            signed("{\"sub\":\"alice\",\"exp\":\"" + exp + "\"}"))));
        assertEquals("invalid token: iat must be a number", messageOf(() -> hmac().authenticate(
            signed("{\"sub\":\"alice\",\"iat\":\"2026-01-01T00:00:00Z\",\"exp\":" + exp + "}"))));
    }

    @Test
    void shouldRefuseNonCanonicalEncodings()
    {
        final String token = new TokenIssuer(SECRET).issue("alice", null, Duration.ofHours(1), now.get());
        assertEquals("alice", hmac().authenticate(token).subject());
        // an HS256 signature is 32 bytes: 43 base64url characters, whose last carries 2 unused bits
        assertEquals("invalid token: non-canonical base64url", messageOf(() -> hmac().authenticate(token + "=")));
        final int dot = token.lastIndexOf('.');
        final char last = token.charAt(token.length() - 1);
        final String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        final char sameBytes = alphabet.charAt(alphabet.indexOf(last) ^ 1);
        final String strayBits = token.substring(0, token.length() - 1) + sameBytes;
        assertEquals("invalid token: non-canonical base64url", messageOf(() -> hmac().authenticate(strayBits)));
        assertEquals("invalid token: not base64url", messageOf(() -> hmac().authenticate(
            token.substring(0, dot + 1) + token.substring(dot + 1).replace('-', '+').replace('_', '/'))));
    }

    @Test
    void shouldReadTheRolesClaim()
    {
        final String ops = new TokenIssuer(SECRET).issue("op", null, java.util.List.of("ops"), Duration.ofHours(1), now.get());
        assertEquals(java.util.Set.of("ops"), hmac().authenticate(ops).roles());
        final String none = new TokenIssuer(SECRET).issue("alice", null, Duration.ofHours(1), now.get());
        assertEquals(java.util.Set.of(), hmac().authenticate(none).roles());
        final long exp = now.get() / 1000 + 7200;
        assertEquals("invalid token: roles must be strings", messageOf(() -> hmac().authenticate(
            signed("{\"sub\":\"alice\",\"roles\":[1],\"exp\":" + exp + "}"))));
    }
}
