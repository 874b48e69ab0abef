/*
 * libFuzzer target for api/token.c: bearer tokens as clients send them,
 * verified as auth.c verifies every request's.
 *
 * A fuzzer cannot forge a signature, so besides raw tokens the target
 * signs what the fuzzer writes as header and payload with the test keys:
 * that takes its claims past the signature check to the claim checks, as
 * a client holding a key (or a stolen one) could. Two configurations:
 * ours HS256 with a trusted external issuer (ES256), and ours ES256 with
 * a kid. Keys are made at start-up; the key files live only until
 * token_setup() has read them.
 *
 * The first byte picks the mode (bits 0-1) and the configuration (bit 2).
 */

#include <sys/types.h>

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "ch.h"
#include "fuzz.h"

#define NOW		((time_t)1700000000)	/* the target's clock */
#define B64		sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* Test values only; `openssl rand -base64 48` as the README asks. */
#define SECRET		"6NOQV8rzKtSBv6qJhJzquM+s9PKdNuLf" \
			"GdIOWwdakrZ1luh74mb2fyd1LChze7FI"
#define ISSUER		"connecting-humans"
#define AUDIENCE	"ch-api"
#define KID		"fuzz-key-1"
#define EXT_ISSUER	"https://sso.example"
#define EXT_ROLES	"Koordination=coordinator,Land=state_admin," \
			"Assistenz=assistant"

enum mode {
	MODE_RAW = 0,		/* the bytes are the token */
	MODE_HS256,		/* "header\npayload", signed with SECRET */
	MODE_ES256,		/* "header\npayload", signed with the EC key */
	MODE_ROUND_TRIP,	/* "sub\nrole\ndistrict\nsid": sign, verify */
};

static struct token_config	 configs[2];
static EVP_PKEY			*ec_key;

static int	key_file(const char *, const char *, int, char *, size_t);
static void	setup(struct token_config *, int, const char *,
		    const char *);
static char	*craft(const char *, size_t, int);
static void	check_verdict(const struct token_config *,
		    enum token_error, const struct token_claims *);
static void	verify(const struct token_config *, const char *);
static void	round_trip(const struct token_config *, char *);

/* Writes the EC key (private, or its public half) to dir/name. */
static int
key_file(const char *dir, const char *name, int private, char *path,
    size_t len)
{
	FILE	*fp;
	int	 ok;

	if ((size_t)snprintf(path, len, "%s/%s", dir, name) >= len ||
	    (fp = fopen(path, "w")) == NULL)
		return (-1);
	if (private)
		ok = PEM_write_PrivateKey(fp, ec_key, NULL, NULL, 0, NULL,
		    NULL);
	else
		ok = PEM_write_PUBKEY(fp, ec_key);
	if (fclose(fp) != 0 || !ok)
		return (-1);

	return (0);
}

/* configs[0]: HS256 and the external issuer; configs[1]: ES256 + kid. */
static void
setup(struct token_config *tc, int es_local, const char *priv,
    const char *pub)
{
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	memset(&cfg, 0, sizeof(cfg));
	cfg.jwt_issuer = ISSUER;
	cfg.jwt_audience = AUDIENCE;
	if (es_local) {
		cfg.jwt_alg = CONFIG_JWT_ES256;
		cfg.jwt_key_file = priv;
		cfg.jwt_kid = KID;
	} else {
		cfg.jwt_alg = CONFIG_JWT_HS256;
		cfg.jwt_secret = SECRET;
		cfg.ext_issuer = EXT_ISSUER;
		cfg.ext_key_file = pub;
		cfg.ext_alg = CONFIG_JWT_ES256;
		cfg.ext_audience = AUDIENCE;
		cfg.ext_role_claim = "grp";
		cfg.ext_district_claim = "ags";
		cfg.ext_roles = EXT_ROLES;
	}
	if (token_setup(tc, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_token: token_setup: %s\n", err);
		exit(1);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp;
	char		 dir[PATH_MAX], priv[PATH_MAX], pub[PATH_MAX];

	(void)argc;
	(void)argv;
	if (sodium_init() == -1 ||
	    (ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		abort();
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/ch-fuzz-token.XXXXXX",
	    tmp) >= sizeof(dir) || mkdtemp(dir) == NULL ||
	    key_file(dir, "es256.pem", 1, priv, sizeof(priv)) == -1 ||
	    key_file(dir, "es256.pub", 0, pub, sizeof(pub)) == -1) {
		fprintf(stderr, "fuzz_token: cannot write the test keys\n");
		exit(1);
	}
	setup(&configs[0], 0, priv, pub);
	setup(&configs[1], 1, priv, pub);
	(void)unlink(priv);
	(void)unlink(pub);
	(void)rmdir(dir);

	return (0);
}

/*
 * base64url(header) "." base64url(payload) "." signature, from the
 * fuzzer's "header\npayload" (all of it the header when there is no
 * newline). Returns a malloc'ed string, or NULL when out of memory.
 */
static char *
craft(const char *data, size_t len, int es256)
{
	crypto_auth_hmacsha256_state	 st;
	EVP_MD_CTX			*md;
	ECDSA_SIG			*es;
	const unsigned char		*p;
	const char			*nl;
	unsigned char			 sig[256];
	size_t				 hlen, plen, siglen, max, used;
	char				*out;

	if ((nl = memchr(data, '\n', len)) != NULL) {
		hlen = (size_t)(nl - data);
		plen = len - hlen - 1;
	} else {
		hlen = len;
		plen = 0;
	}
	max = sodium_base64_ENCODED_LEN(hlen, B64) +
	    sodium_base64_ENCODED_LEN(plen, B64) +
	    sodium_base64_ENCODED_LEN(sizeof(sig), B64) + 2;
	if ((out = malloc(max)) == NULL)
		return (NULL);
	sodium_bin2base64(out, max, (const unsigned char *)data, hlen, B64);
	used = strlen(out);
	out[used++] = '.';
	sodium_bin2base64(out + used, max - used,
	    (const unsigned char *)data + len - plen, plen, B64);
	used += strlen(out + used);

	if (!es256) {
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)SECRET,
		    strlen(SECRET));
		crypto_auth_hmacsha256_update(&st, (unsigned char *)out, used);
		crypto_auth_hmacsha256_final(&st, sig);
		siglen = crypto_auth_hmacsha256_BYTES;
	} else {
		/* JWS wants R || S, OpenSSL gives DER. */
		siglen = sizeof(sig);
		if ((md = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
		    ec_key) != 1 || EVP_DigestSign(md, sig, &siglen,
		    (unsigned char *)out, used) != 1)
			abort();
		EVP_MD_CTX_free(md);
		p = sig;
		if ((es = d2i_ECDSA_SIG(NULL, &p, (long)siglen)) == NULL ||
		    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) != 32 ||
		    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) != 32)
			abort();
		ECDSA_SIG_free(es);
		siglen = 64;
	}
	out[used++] = '.';
	sodium_bin2base64(out + used, max - used, sig, siglen, B64);

	return (out);
}

/* What auth.c relies on after token_verify(), whatever it answered. */
static void
check_verdict(const struct token_config *tc, enum token_error rc,
    const struct token_claims *c)
{
	if (rc != TOKEN_OK) {
		FUZZ_CHECK(rc == TOKEN_MALFORMED || rc == TOKEN_INVALID ||
		    rc == TOKEN_EXPIRED || rc == TOKEN_NOT_YET_VALID);
		FUZZ_CHECK(c->role == -1 && c->sub[0] == '\0' &&
		    c->district[0] == '\0' && c->sid[0] == '\0');
		return;
	}
	FUZZ_CHECK(c->role >= 0 && c->role < ROLE_COUNT);
	FUZZ_CHECK(c->sub[0] != '\0');
	FUZZ_CHECK(memchr(c->jti, '\0', sizeof(c->jti)) != NULL &&
	    c->jti[0] != '\0');
	if (c->role == ROLE_STATE_ADMIN)
		FUZZ_CHECK(c->district[0] == '\0');
	else
		FUZZ_CHECK(codec_is_district_key(c->district));
	/* Not expired beyond the 30 s of clock skew token.c allows. */
	FUZZ_CHECK(c->exp + 30 > NOW);
	if (c->external) {
		FUZZ_CHECK(tc->has_external);
		FUZZ_CHECK(ROLE_BIT(c->role) & ROLES_STAFF);
		FUZZ_CHECK(c->sid[0] == '\0');
	} else {
		FUZZ_CHECK(codec_is_uuid(c->sub) && codec_is_uuid(c->sid));
	}
}

static void
verify(const struct token_config *tc, const char *token)
{
	struct token_claims	c;

	memset(&c, 0x5a, sizeof(c));
	check_verdict(tc, token_verify(tc, token, NOW, &c), &c);
}

/*
 * A token we sign must verify, with the same claims, exactly when the
 * claims are ones we would sign for an account.
 */
static void
round_trip(const struct token_config *tc, char *s)
{
	struct token_claims	 in, out;
	const char		*field[4] = { "", "", "", "" };
	char			*p, *token;
	enum token_error	 rc;
	int			 i, good;

	for (i = 0, p = s; i < 4 && p != NULL; i++) {
		field[i] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	memset(&in, 0, sizeof(in));
	if (strlen(field[0]) >= sizeof(in.sub) ||
	    strlen(field[2]) >= sizeof(in.district) ||
	    strlen(field[3]) >= sizeof(in.sid))
		return;
	(void)snprintf(in.sub, sizeof(in.sub), "%s", field[0]);
	in.role = role_parse(field[1]);
	(void)snprintf(in.district, sizeof(in.district), "%s", field[2]);
	(void)snprintf(in.sid, sizeof(in.sid), "%s", field[3]);

	if ((token = token_sign(tc, &in, NOW)) == NULL)
		return;
	memset(&out, 0x5a, sizeof(out));
	rc = token_verify(tc, token, NOW, &out);
	check_verdict(tc, rc, &out);
	free(token);

	good = codec_is_uuid(in.sub) && codec_is_uuid(in.sid) &&
	    in.role >= 0 && (in.role == ROLE_STATE_ADMIN ?
	    in.district[0] == '\0' : codec_is_district_key(in.district));
	FUZZ_CHECK(good == (rc == TOKEN_OK));
	if (rc == TOKEN_OK) {
		FUZZ_CHECK(!out.external && out.role == in.role);
		FUZZ_CHECK(strcmp(out.sub, in.sub) == 0 &&
		    strcmp(out.sid, in.sid) == 0 &&
		    strcmp(out.district, in.district) == 0);
		FUZZ_CHECK(out.exp == NOW + TOKEN_ACCESS_TTL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct token_config	*tc;
	char				*s, *token;

	/* Longer than any token we look at, signed or not. */
	if (size == 0 || size > TOKEN_MAX)
		return (0);
	tc = &configs[(data[0] >> 2) & 1];
	if ((s = malloc(size)) == NULL)
		return (0);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	switch (data[0] & 3) {
	case MODE_RAW:
		verify(tc, s);
		break;
	case MODE_HS256:
	case MODE_ES256:
		token = craft((const char *)data + 1, size - 1,
		    (data[0] & 3) == MODE_ES256);
		if (token != NULL)
			verify(tc, token);
		free(token);
		break;
	case MODE_ROUND_TRIP:
		round_trip(tc, s);
		break;
	}
	free(s);

	return (0);
}
