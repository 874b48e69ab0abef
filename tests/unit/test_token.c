/*
 * Unit tests for token.c: signing, verification, the JWK set and roles.
 *
 * Keys are generated at start-up into a mkdtemp directory. Hostile tokens
 * are built by hand: JSON text, base64url by libsodium, HS256 by
 * libsodium's HMAC (any key length) and RS256/ES256 by OpenSSL.
 */

#include <sys/types.h>

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <sys/wait.h>

#include <openssl/param_build.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>

#include "ch.h"

#define B64_VARIANT	sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define TOK_BUF		(TOKEN_MAX * 2)
#define NOW		((time_t)1700000000)	/* the tests' clock */

/* `openssl rand -base64 48`, as the documentation asks for. */
#define SECRET		"6NOQV8rzKtSBv6qJhJzquM+s9PKdNuLf" \
			"GdIOWwdakrZ1luh74mb2fyd1LChze7FI"
#define SECRET2		"2f5d99413bb3ee4a913ac72569f4b04d" \
			"60bcb7dda56079292f031dbd755a277a"

#define ISSUER		"connecting-humans"
#define AUDIENCE	"ch-api"
#define EXT_ISSUER	"https://sso.example"
#define EXT_ROLES	"Koordination=coordinator,Land=state_admin"
#define SUB		"0b6f2a4e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
#define SID		"7d9e8f10-2a3b-4c5d-9e6f-a1b2c3d4e5f6"

/* A good local token's parts at NOW, signed with HS256. */
#define HS_HEADER	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define LOCAL_PAYLOAD	"{\"iss\":\"" ISSUER "\","			\
			"\"aud\":\"" AUDIENCE "\","			\
			"\"sub\":\"" SUB "\",\"role\":\"coordinator\","	\
			"\"district\":\"16051\",\"sid\":\"" SID "\","	\
			"\"jti\":\"jti-1\",\"iat\":1700000000,"		\
			"\"exp\":1700000900}"

/* A good external token's payload at NOW, an hour long. */
#define ES_HEADER	"{\"alg\":\"ES256\",\"typ\":\"JWT\"}"
#define EXT_PAYLOAD	"{\"iss\":\"" EXT_ISSUER "\","		\
			"\"aud\":\"" AUDIENCE "\","			\
			"\"sub\":\"kc-7731\",\"grp\":\"Koordination\","	\
			"\"ags\":\"16067\",\"jti\":\"ext-1\","		\
			"\"iat\":1700000000,\"exp\":1700003600}"

enum sig_kind {
	SIG_EMPTY = 0,		/* "header.payload." */
	SIG_JUNK,		/* four base64url characters */
	SIG_HS,			/* HMAC-SHA256 keyed with key/keylen */
	SIG_RS,			/* RSASSA-PKCS1-v1_5 SHA-256 with pkey */
	SIG_ES,			/* ECDSA P-256 SHA-256 with pkey, R||S */
};

struct signer {
	enum sig_kind	 kind;
	const void	*key;
	size_t		 keylen;
	EVP_PKEY	*pkey;
};

/* A good token with JSON patches applied to its header and payload. */
struct patch_case {
	const char		*what;
	const char		*header;	/* patch, NULL: none */
	const char		*payload;	/* patch, NULL: none */
	enum token_error	 want;
};

/* Keys made once for all tests, and their files. */
static struct {
	char		 dir[PATH_MAX];
	EVP_PKEY	*rsa;		/* RSA 2048 */
	EVP_PKEY	*ec;		/* P-256 */
	EVP_PKEY	*ec2;		/* another P-256 key */
	EVP_PKEY	*rsa1024;
	EVP_PKEY	*p384;
	char		*rsa_pem;	/* public PEM of rsa */
	char		*ec_pem;	/* public PEM of ec */
	char		 rsa_priv[PATH_MAX];
	char		 rsa_pub[PATH_MAX];
	char		 ec_priv[PATH_MAX];
	char		 ec_pub[PATH_MAX];
	char		 rsa1024_priv[PATH_MAX];
	char		 rsa1024_pub[PATH_MAX];
	char		 p384_priv[PATH_MAX];
	char		 p384_pub[PATH_MAX];
	char		 empty[PATH_MAX];
	char		 junk[PATH_MAX];
	char		 missing[PATH_MAX];
} K;

static int	group_setup(void **);
static int	group_teardown(void **);
static int	key_file(char *, const char *, EVP_PKEY *, int);
static char	*pub_pem(EVP_PKEY *);
static void	cfg_local(struct config *, enum config_jwt_alg);
static void	cfg_external(struct config *);
static void	setup_ok(struct token_config *, const struct config *);
static void	setup_fails(const struct config *, const char *);
static void	b64_append(char *, size_t, const void *, size_t);
static size_t	evp_sign(EVP_PKEY *, const char *, unsigned char *,
		    size_t);
static void	sign_append(char *, size_t, const struct signer *);
static void	craft(char *, size_t, const char *, const char *,
		    const struct signer *);
static char	*patch_json(const char *, const char *);
static void	run_patch_cases(const struct token_config *, const char *,
		    const char *, const struct signer *,
		    const struct patch_case *, size_t);
static cJSON	*segment(const char *, int);
static void	expect(const struct token_config *, const char *, time_t,
		    enum token_error, const char *);
static char	*thumbprint(const cJSON *);
static int	es256_check(EVP_PKEY *, const char *);
static cJSON	*asym_round_trip(enum config_jwt_alg, const char *);
static void	long_string_cases(const struct token_config *, const char *,
		    const char *, const struct signer *, const char *, size_t,
		    enum token_error);
static const char *env_get(const char *);

static int
key_file(char *path, const char *name, EVP_PKEY *pkey, int private)
{
	FILE	*fp;
	int	 ok;

	if (snprintf(path, PATH_MAX, "%s/%s", K.dir, name) >= PATH_MAX)
		return (-1);
	if (pkey == NULL)
		return (0);
	if ((fp = fopen(path, "w")) == NULL)
		return (-1);
	if (private)
		ok = PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_PUBKEY(fp, pkey);
	if (fclose(fp) != 0 || !ok)
		return (-1);

	return (0);
}

/* The public key as PEM, exactly as token.c and the key files hold it. */
static char *
pub_pem(EVP_PKEY *pkey)
{
	BIO	*mem;
	BUF_MEM	*bm;
	char	*out;

	out = NULL;
	if ((mem = BIO_new(BIO_s_mem())) == NULL)
		return (NULL);
	if (PEM_write_bio_PUBKEY(mem, pkey)) {
		BIO_get_mem_ptr(mem, &bm);
		if ((out = malloc(bm->length + 1)) != NULL) {
			memcpy(out, bm->data, bm->length);
			out[bm->length] = '\0';
		}
	}
	BIO_free(mem);

	return (out);
}

static int
group_setup(void **state)
{
	FILE	*fp;
	char	 tmpl[] = "/tmp/ch-test-token.XXXXXX";

	(void)state;
	if (mkdtemp(tmpl) == NULL)
		return (-1);
	snprintf(K.dir, sizeof(K.dir), "%s", tmpl);

	K.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	K.ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	K.ec2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	K.rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	K.p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (K.rsa == NULL || K.ec == NULL || K.ec2 == NULL ||
	    K.rsa1024 == NULL || K.p384 == NULL)
		return (-1);
	if ((K.rsa_pem = pub_pem(K.rsa)) == NULL ||
	    (K.ec_pem = pub_pem(K.ec)) == NULL)
		return (-1);

	if (key_file(K.rsa_priv, "rs256.pem", K.rsa, 1) == -1 ||
	    key_file(K.rsa_pub, "rs256.pub", K.rsa, 0) == -1 ||
	    key_file(K.ec_priv, "es256.pem", K.ec, 1) == -1 ||
	    key_file(K.ec_pub, "es256.pub", K.ec, 0) == -1 ||
	    key_file(K.rsa1024_priv, "rsa1024.pem", K.rsa1024, 1) == -1 ||
	    key_file(K.rsa1024_pub, "rsa1024.pub", K.rsa1024, 0) == -1 ||
	    key_file(K.p384_priv, "p384.pem", K.p384, 1) == -1 ||
	    key_file(K.p384_pub, "p384.pub", K.p384, 0) == -1 ||
	    key_file(K.missing, "missing.pem", NULL, 0) == -1 ||
	    key_file(K.empty, "empty.pem", NULL, 0) == -1 ||
	    key_file(K.junk, "junk.pem", NULL, 0) == -1)
		return (-1);
	if ((fp = fopen(K.empty, "w")) == NULL || fclose(fp) != 0)
		return (-1);
	if ((fp = fopen(K.junk, "w")) == NULL)
		return (-1);
	fputs("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n"
	    "-----END PRIVATE KEY-----\n", fp);
	if (fclose(fp) != 0)
		return (-1);

	return (0);
}

/* Removes the key directory and whatever a failed test left in it. */
static int
group_teardown(void **state)
{
	DIR		*dir;
	struct dirent	*de;
	char		 path[PATH_MAX];

	(void)state;
	if (K.dir[0] != '\0' && (dir = opendir(K.dir)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", K.dir,
			    de->d_name) < (int)sizeof(path))
				(void)unlink(path);
		}
		closedir(dir);
		(void)rmdir(K.dir);
	}
	EVP_PKEY_free(K.rsa);
	EVP_PKEY_free(K.ec);
	EVP_PKEY_free(K.ec2);
	EVP_PKEY_free(K.rsa1024);
	EVP_PKEY_free(K.p384);
	free(K.rsa_pem);
	free(K.ec_pem);
	memset(&K, 0, sizeof(K));

	return (0);
}

/* Our issuer only, as config_load() leaves it for alg. */
static void
cfg_local(struct config *cfg, enum config_jwt_alg alg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->jwt_alg = alg;
	cfg->jwt_secret = SECRET;
	if (alg == CONFIG_JWT_RS256)
		cfg->jwt_key_file = K.rsa_priv;
	else if (alg == CONFIG_JWT_ES256)
		cfg->jwt_key_file = K.ec_priv;
	cfg->jwt_issuer = ISSUER;
	cfg->jwt_audience = AUDIENCE;
}

/* HS256 for us, and a district's single sign-on signing with ES256. */
static void
cfg_external(struct config *cfg)
{
	cfg_local(cfg, CONFIG_JWT_HS256);
	cfg->ext_issuer = EXT_ISSUER;
	cfg->ext_key_file = K.ec_pub;
	cfg->ext_alg = CONFIG_JWT_ES256;
	cfg->ext_audience = AUDIENCE;
	cfg->ext_role_claim = "grp";
	cfg->ext_district_claim = "ags";
	cfg->ext_roles = EXT_ROLES;
}

static void
setup_ok(struct token_config *tc, const struct config *cfg)
{
	char	err[CONFIG_ERR_MAX];

	err[0] = '\0';
	if (token_setup(tc, cfg, err, sizeof(err)) != 0)
		fail_msg("token_setup refused: %s", err);
}

/* token_setup refuses cfg with a message that contains want. */
static void
setup_fails(const struct config *cfg, const char *want)
{
	struct token_config	tc;
	char			err[CONFIG_ERR_MAX];
	int			rc;

	memset(err, 0x7f, sizeof(err));
	rc = token_setup(&tc, cfg, err, sizeof(err));
	token_cleanup(&tc);
	if (rc != -1)
		fail_msg("token_setup accepted, want \"%s\"", want);
	if (memchr(err, '\0', sizeof(err)) == NULL)
		fail_msg("error is not NUL-terminated, want \"%s\"", want);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

/* Appends len bytes of data, base64url without padding, to the string. */
static void
b64_append(char *out, size_t outlen, const void *data, size_t len)
{
	size_t	used;

	used = strlen(out);
	assert_true(used + sodium_base64_ENCODED_LEN(len, B64_VARIANT) <=
	    outlen);
	sodium_bin2base64(out + used, outlen - used, data, len, B64_VARIANT);
}

static size_t
evp_sign(EVP_PKEY *pkey, const char *msg, unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*md;
	size_t		 len;

	assert_non_null(md = EVP_MD_CTX_new());
	len = siglen;
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	    pkey), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &len,
	    (const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(md);

	return (len);
}

/* Appends "." and the signature over everything before it. */
static void
sign_append(char *out, size_t outlen, const struct signer *s)
{
	crypto_auth_hmacsha256_state	 st;
	ECDSA_SIG			*es;
	const unsigned char		*p;
	unsigned char			 sig[1024], rs[64];
	size_t				 len;

	switch (s->kind) {
	case SIG_EMPTY:
		assert_true(strlen(out) + 2 <= outlen);
		strcat(out, ".");
		return;
	case SIG_JUNK:
		assert_true(strlen(out) + 6 <= outlen);
		strcat(out, ".AAAA");
		return;
	case SIG_HS:
		crypto_auth_hmacsha256_init(&st, s->key, s->keylen);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)out,
		    strlen(out));
		crypto_auth_hmacsha256_final(&st, sig);
		len = crypto_auth_hmacsha256_BYTES;
		break;
	case SIG_RS:
		len = evp_sign(s->pkey, out, sig, sizeof(sig));
		break;
	case SIG_ES:
		len = evp_sign(s->pkey, out, sig, sizeof(sig));
		p = sig;
		assert_non_null(es = d2i_ECDSA_SIG(NULL, &p, (long)len));
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32),
		    32);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32,
		    32), 32);
		ECDSA_SIG_free(es);
		memcpy(sig, rs, sizeof(rs));
		len = sizeof(rs);
		break;
	default:
		fail_msg("no such signature kind %d", s->kind);
		return;
	}
	assert_true(strlen(out) + 2 <= outlen);
	strcat(out, ".");
	b64_append(out, outlen, sig, len);
}

/* header.payload.signature from the two JSON texts. */
static void
craft(char *out, size_t outlen, const char *header, const char *payload,
    const struct signer *s)
{
	out[0] = '\0';
	b64_append(out, outlen, header, strlen(header));
	assert_true(strlen(out) + 2 <= outlen);
	strcat(out, ".");
	b64_append(out, outlen, payload, strlen(payload));
	sign_append(out, outlen, s);
}

/*
 * base with the members of the JSON object patch set, added or replaced;
 * a member named "-name" removes name instead. Free with cJSON_free().
 */
static char *
patch_json(const char *base, const char *patch)
{
	cJSON	*doc, *p, *item;
	char	*out;

	assert_non_null(doc = cJSON_Parse(base));
	if (patch != NULL) {
		if ((p = cJSON_Parse(patch)) == NULL)
			fail_msg("bad patch %s", patch);
		cJSON_ArrayForEach(item, p) {
			if (item->string[0] == '-') {
				cJSON_DeleteItemFromObjectCaseSensitive(doc,
				    item->string + 1);
				continue;
			}
			cJSON_DeleteItemFromObjectCaseSensitive(doc,
			    item->string);
			cJSON_AddItemToObject(doc, item->string,
			    cJSON_Duplicate(item, 1));
		}
		cJSON_Delete(p);
	}
	assert_non_null(out = cJSON_PrintUnformatted(doc));
	cJSON_Delete(doc);

	return (out);
}

static void
run_patch_cases(const struct token_config *tc, const char *header,
    const char *payload, const struct signer *s, const struct patch_case *pc,
    size_t n)
{
	struct token_claims	 c;
	enum token_error	 rc;
	char			*h, *p, tok[TOK_BUF];
	size_t			 i, bad;

	for (i = bad = 0; i < n; i++) {
		h = patch_json(header, pc[i].header);
		p = patch_json(payload, pc[i].payload);
		craft(tok, sizeof(tok), h, p, s);
		rc = token_verify(tc, tok, NOW, &c);
		if (rc != pc[i].want) {
			print_error("%s: token_verify %d, want %d\n"
			    "  header %s\n  payload %s\n", pc[i].what, rc,
			    pc[i].want, h, p);
			bad++;
		}
		cJSON_free(h);
		cJSON_free(p);
	}
	if (bad > 0)
		fail_msg("%zu of %zu cases failed", bad, n);
}

/* A string member of len characters ("000..."): want from token_verify. */
static void
long_string_cases(const struct token_config *tc, const char *header,
    const char *payload, const struct signer *s, const char *name,
    size_t len, enum token_error want)
{
	struct patch_case	pc;
	char			patch[512], what[64];

	assert_true(len + strlen(name) + 8 < sizeof(patch));
	snprintf(patch, sizeof(patch), "{\"%s\":\"%0*d\"}", name, (int)len,
	    0);
	snprintf(what, sizeof(what), "%s of %zu", name, len);
	pc.what = what;
	pc.header = NULL;
	pc.payload = patch;
	pc.want = want;
	run_patch_cases(tc, header, payload, s, &pc, 1);
}

/* The JSON of a token's first (0) or second (1) segment. */
static cJSON *
segment(const char *tok, int which)
{
	const char	*start, *end;
	unsigned char	 raw[TOK_BUF];
	size_t		 len;
	cJSON		*doc;

	start = tok;
	if (which == 1) {
		assert_non_null(start = strchr(tok, '.'));
		start++;
	}
	assert_non_null(end = strchr(start, '.'));
	assert_int_equal(sodium_base642bin(raw, sizeof(raw), start,
	    end - start, NULL, &len, NULL, B64_VARIANT), 0);
	assert_non_null(doc = cJSON_ParseWithLength((const char *)raw, len));

	return (doc);
}

static void
expect(const struct token_config *tc, const char *tok, time_t now,
    enum token_error want, const char *what)
{
	struct token_claims	c;
	enum token_error	rc;

	memset(&c, 0x5a, sizeof(c));
	rc = token_verify(tc, tok, now, &c);
	if (rc != want)
		fail_msg("%s: token_verify %d, want %d (token %.200s)", what,
		    rc, want, tok);
	if (rc != TOKEN_OK && (c.sub[0] != '\0' || c.exp != 0 ||
	    c.district[0] != '\0' || c.jti[0] != '\0'))
		fail_msg("%s: refused but claims left filled", what);
	if (rc != TOKEN_OK && c.role != -1)
		fail_msg("%s: refused but role %d left", what, c.role);
}

/* RFC 7638 thumbprint of a JWK with kty RSA or EC. */
static char *
thumbprint(const cJSON *doc)
{
	char		 canon[2048], *out;
	unsigned char	 digest[crypto_hash_sha256_BYTES];
	const char	*kty;

	kty = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "kty"));
	assert_non_null(kty);
	if (strcmp(kty, "RSA") == 0)
		snprintf(canon, sizeof(canon),
		    "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
		    cJSON_GetStringValue(cJSON_GetObjectItem(doc, "e")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(doc, "n")));
	else
		snprintf(canon, sizeof(canon), "{\"crv\":\"%s\",\"kty\":\"EC\","
		    "\"x\":\"%s\",\"y\":\"%s\"}",
		    cJSON_GetStringValue(cJSON_GetObjectItem(doc, "crv")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(doc, "x")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(doc, "y")));
	crypto_hash_sha256(digest, (unsigned char *)canon, strlen(canon));
	assert_non_null(out = calloc(1, 64));
	b64_append(out, 64, digest, sizeof(digest));

	return (out);
}

/* 1 when tok carries a valid JOSE (R||S) ES256 signature by pkey. */
static int
es256_check(EVP_PKEY *pkey, const char *tok)
{
	EVP_MD_CTX	*md;
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;
	const char	*dot;
	unsigned char	 rs[128], *der;
	size_t		 len;
	int		 derlen, ok;

	assert_non_null(dot = strrchr(tok, '.'));
	assert_int_equal(sodium_base642bin(rs, sizeof(rs), dot + 1,
	    strlen(dot + 1), NULL, &len, NULL, B64_VARIANT), 0);
	if (len != 64)
		return (0);
	assert_non_null(es = ECDSA_SIG_new());
	r = BN_bin2bn(rs, 32, NULL);
	s = BN_bin2bn(rs + 32, 32, NULL);
	assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
	der = NULL;
	assert_true((derlen = i2d_ECDSA_SIG(es, &der)) > 0);
	ECDSA_SIG_free(es);

	assert_non_null(md = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    pkey), 1);
	ok = EVP_DigestVerify(md, der, derlen, (const unsigned char *)tok,
	    dot - tok) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);

	return (ok);
}

static void
test_role_parse(void **state)
{
	static const struct {
		const char	*name;
		int		 role;
	} cases[] = {
		{ "state_admin", ROLE_STATE_ADMIN },
		{ "coordinator", ROLE_COORDINATOR },
		{ "assistant", ROLE_ASSISTANT },
		{ "organization", ROLE_ORGANIZATION },
		{ "mentor", ROLE_MENTOR },
		{ "participant", ROLE_PARTICIPANT },
		{ "", -1 },
		{ "admin", -1 },
		{ "Coordinator", -1 },
		{ "COORDINATOR", -1 },
		{ "coordinator ", -1 },
		{ " mentor", -1 },
		{ "state-admin", -1 },
		{ "organisation", -1 },
		{ "unknown", -1 },
	};
	size_t	i;
	int	r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (role_parse(cases[i].name) != cases[i].role)
			fail_msg("role_parse(\"%s\") = %d, want %d",
			    cases[i].name, role_parse(cases[i].name),
			    cases[i].role);
	}
	for (r = 0; r < ROLE_COUNT; r++)
		assert_int_equal(role_parse(role_name(r)), r);
	assert_string_equal(role_name(-1), "unknown");
	assert_string_equal(role_name(ROLE_COUNT), "unknown");
	assert_int_equal(ROLES_STAFF, 0x7);
	assert_int_equal(ROLES_ANY, 0x3f);
}

static void
test_hs256_round_trip(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct token_claims	 in, c;
	cJSON			*h, *p;
	char			*tok;

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	setup_ok(&tc, &cfg);
	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "%s", SUB);
	snprintf(in.sid, sizeof(in.sid), "%s", SID);
	snprintf(in.district, sizeof(in.district), "16051");
	in.role = ROLE_COORDINATOR;
	assert_non_null(tok = token_sign(&tc, &in, NOW));

	/* What was signed: our header and exactly these claims. */
	h = segment(tok, 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(h,
	    "alg")), "HS256");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(h,
	    "typ")), "JWT");
	assert_null(cJSON_GetObjectItem(h, "kid"));
	cJSON_Delete(h);
	p = segment(tok, 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "iss")), ISSUER);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "aud")), AUDIENCE);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "role")), "coordinator");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "district")), "16051");
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "iat")) ==
	    (double)NOW);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "exp")) ==
	    (double)NOW + TOKEN_ACCESS_TTL);
	cJSON_Delete(p);

	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(token_verify(&tc, tok, NOW, &c), TOKEN_OK);
	assert_int_equal(c.external, 0);
	assert_string_equal(c.sub, SUB);
	assert_string_equal(c.sid, SID);
	assert_int_equal(c.role, ROLE_COORDINATOR);
	assert_string_equal(c.district, "16051");
	assert_int_equal(c.exp, NOW + TOKEN_ACCESS_TTL);
	assert_int_equal(strlen(c.jti), 22);	/* 16 random bytes */

	/* 900 s of life and 30 s of leeway either side. */
	expect(&tc, tok, NOW + 899, TOKEN_OK, "T+899");
	expect(&tc, tok, NOW + 900, TOKEN_OK, "T+900");
	expect(&tc, tok, NOW + 929, TOKEN_OK, "T+929");
	expect(&tc, tok, NOW + 930, TOKEN_EXPIRED, "T+930");
	expect(&tc, tok, NOW + 86400, TOKEN_EXPIRED, "a day later");
	expect(&tc, tok, NOW - 30, TOKEN_OK, "T-30");
	expect(&tc, tok, NOW - 31, TOKEN_INVALID, "T-31, iat ahead");

	free(tok);
	token_cleanup(&tc);
}

static void
test_hs256_roles(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct token_claims	 in, c;
	cJSON			*p;
	char			*tok, *tok2;
	int			 r;

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	setup_ok(&tc, &cfg);
	for (r = 0; r < ROLE_COUNT; r++) {
		memset(&in, 0, sizeof(in));
		snprintf(in.sub, sizeof(in.sub), "%s", SUB);
		snprintf(in.sid, sizeof(in.sid), "%s", SID);
		if (r != ROLE_STATE_ADMIN)
			snprintf(in.district, sizeof(in.district), "09162");
		in.role = r;
		assert_non_null(tok = token_sign(&tc, &in, NOW));
		p = segment(tok, 1);
		if (r == ROLE_STATE_ADMIN)
			assert_true(cJSON_IsNull(cJSON_GetObjectItem(p,
			    "district")));
		else
			assert_string_equal(cJSON_GetStringValue(
			    cJSON_GetObjectItem(p, "district")), "09162");
		cJSON_Delete(p);
		if (token_verify(&tc, tok, NOW + 1, &c) != TOKEN_OK)
			fail_msg("role %s does not round-trip", role_name(r));
		assert_int_equal(c.role, r);
		assert_string_equal(c.district,
		    r == ROLE_STATE_ADMIN ? "" : "09162");

		/* Every token gets its own jti. */
		assert_non_null(tok2 = token_sign(&tc, &in, NOW));
		assert_string_not_equal(tok, tok2);
		free(tok);
		free(tok2);
	}
	token_cleanup(&tc);
}

/* Another secret, a changed payload, a changed signature: all refused. */
static void
test_hs256_wrong_key(void **state)
{
	struct token_config	 tc, tc2;
	struct config		 cfg;
	struct token_claims	 in;
	const char		*dot1, *dot2;
	char			*tok, *p, forged[TOK_BUF];
	size_t			 n;

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	setup_ok(&tc, &cfg);
	cfg.jwt_secret = SECRET2;
	setup_ok(&tc2, &cfg);
	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "%s", SUB);
	snprintf(in.sid, sizeof(in.sid), "%s", SID);
	snprintf(in.district, sizeof(in.district), "16051");
	in.role = ROLE_MENTOR;
	assert_non_null(tok = token_sign(&tc, &in, NOW));
	expect(&tc, tok, NOW, TOKEN_OK, "own secret");
	expect(&tc2, tok, NOW, TOKEN_INVALID, "other secret");

	/* The same signature on a payload promoted to state admin. */
	dot1 = strchr(tok, '.');
	dot2 = strrchr(tok, '.');
	p = patch_json(LOCAL_PAYLOAD,
	    "{\"role\":\"state_admin\",\"district\":null}");
	forged[0] = '\0';
	n = dot1 - tok + 1;
	memcpy(forged, tok, n);
	forged[n] = '\0';
	b64_append(forged, sizeof(forged), p, strlen(p));
	assert_true(strlen(forged) + strlen(dot2) < sizeof(forged));
	strcat(forged, dot2);
	cJSON_free(p);
	expect(&tc, forged, NOW, TOKEN_INVALID, "payload swapped");

	/* One signature character changed. */
	snprintf(forged, sizeof(forged), "%s", tok);
	n = strlen(forged) - 5;
	forged[n] = forged[n] == 'A' ? 'B' : 'A';
	expect(&tc, forged, NOW, TOKEN_INVALID, "signature changed");

	free(tok);
	token_cleanup(&tc);
	token_cleanup(&tc2);
}

static void
test_hs256_kid(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct token_claims	 in;
	struct signer		 hs = { SIG_HS, SECRET, sizeof(SECRET) - 1,
				    NULL };
	cJSON			*h;
	char			*tok, buf[TOK_BUF];

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	cfg.jwt_kid = "hs-2024.1";
	setup_ok(&tc, &cfg);
	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "%s", SUB);
	snprintf(in.sid, sizeof(in.sid), "%s", SID);
	in.role = ROLE_STATE_ADMIN;
	assert_non_null(tok = token_sign(&tc, &in, NOW));
	h = segment(tok, 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(h,
	    "kid")), "hs-2024.1");
	cJSON_Delete(h);
	expect(&tc, tok, NOW, TOKEN_OK, "configured kid");
	free(tok);

	craft(buf, sizeof(buf), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-2024.1\"}", LOCAL_PAYLOAD, &hs);
	expect(&tc, buf, NOW, TOKEN_OK, "crafted, same kid");
	craft(buf, sizeof(buf), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"kid\":\"hs-2023.9\"}", LOCAL_PAYLOAD, &hs);
	expect(&tc, buf, NOW, TOKEN_INVALID, "crafted, other kid");
	/* A secret has no key set to pick from: no kid is fine. */
	craft(buf, sizeof(buf), HS_HEADER, LOCAL_PAYLOAD, &hs);
	expect(&tc, buf, NOW, TOKEN_OK, "crafted, no kid");

	token_cleanup(&tc);
}

static void
test_jwks_hs256(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	char			*jwks;

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	cfg.jwt_kid = "hs-1";
	setup_ok(&tc, &cfg);
	assert_non_null(jwks = token_jwks(&tc));
	assert_string_equal(jwks, "{\"keys\":[]}");
	free(jwks);
	token_cleanup(&tc);
}

/*
 * Signs with alg from its key file, checks the header, the key set and
 * the signature; returns the JWK for more checks (cJSON_Delete it).
 */
static cJSON *
asym_round_trip(enum config_jwt_alg alg, const char *kid)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct token_claims	 in, c;
	cJSON			*h, *set, *keys, *jwk;
	char			*tok, *jwks, *tp;
	const char		*name;

	name = alg == CONFIG_JWT_RS256 ? "RS256" : "ES256";
	cfg_local(&cfg, alg);
	cfg.jwt_secret = NULL;
	cfg.jwt_kid = kid;
	setup_ok(&tc, &cfg);
	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "%s", SUB);
	snprintf(in.sid, sizeof(in.sid), "%s", SID);
	snprintf(in.district, sizeof(in.district), "16051");
	in.role = ROLE_ASSISTANT;
	assert_non_null(tok = token_sign(&tc, &in, NOW));

	h = segment(tok, 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(h,
	    "alg")), name);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(h,
	    "typ")), "JWT");
	assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItem(h, "kid")));

	assert_non_null(jwks = token_jwks(&tc));
	assert_non_null(set = cJSON_Parse(jwks));
	assert_int_equal(cJSON_GetArraySize(set), 1);
	keys = cJSON_GetObjectItemCaseSensitive(set, "keys");
	assert_true(cJSON_IsArray(keys));
	assert_int_equal(cJSON_GetArraySize(keys), 1);
	jwk = cJSON_DetachItemFromArray(keys, 0);
	cJSON_Delete(set);
	assert_true(cJSON_IsObject(jwk));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "kid")), cJSON_GetStringValue(cJSON_GetObjectItem(h, "kid")));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "alg")), name);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "use")), "sig");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "kty")), alg == CONFIG_JWT_RS256 ? "RSA" : "EC");
	/* Nothing private: d, and p, q, dp, dq, qi of RSA. */
	assert_null(cJSON_GetObjectItem(jwk, "d"));
	assert_null(cJSON_GetObjectItem(jwk, "p"));
	assert_null(cJSON_GetObjectItem(jwk, "q"));
	assert_null(cJSON_GetObjectItem(jwk, "dp"));

	/* Without a configured kid, the kid is the RFC 7638 thumbprint. */
	tp = thumbprint(jwk);
	if (kid == NULL)
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(h,
		    "kid")), tp);
	else
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(h,
		    "kid")), kid);
	free(tp);
	cJSON_Delete(h);
	free(jwks);

	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(token_verify(&tc, tok, NOW + 10, &c), TOKEN_OK);
	assert_int_equal(c.role, ROLE_ASSISTANT);
	assert_string_equal(c.sub, SUB);
	assert_string_equal(c.sid, SID);
	assert_string_equal(c.district, "16051");
	expect(&tc, tok, NOW + 930, TOKEN_EXPIRED, name);
	if (alg == CONFIG_JWT_ES256) {
		/* JOSE R||S, verifiable by anyone with the public key. */
		assert_true(es256_check(K.ec, tok));
		assert_false(es256_check(K.ec2, tok));
	}
	free(tok);
	token_cleanup(&tc);

	return (jwk);
}

static void
test_rs256_round_trip(void **state)
{
	cJSON	*jwk;
	size_t	 len;

	(void)state;
	jwk = asym_round_trip(CONFIG_JWT_RS256, NULL);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "e")), "AQAB");
	/* 2048 bits: 256 bytes, 342 characters of base64url. */
	len = strlen(cJSON_GetStringValue(cJSON_GetObjectItem(jwk, "n")));
	assert_int_equal(len, 342);
	assert_null(cJSON_GetObjectItem(jwk, "crv"));
	cJSON_Delete(jwk);

	jwk = asym_round_trip(CONFIG_JWT_RS256, "rsa-2024");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "kid")), "rsa-2024");
	cJSON_Delete(jwk);
}

static void
test_es256_round_trip(void **state)
{
	cJSON	*jwk;

	(void)state;
	jwk = asym_round_trip(CONFIG_JWT_ES256, NULL);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "crv")), "P-256");
	assert_int_equal(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "x"))), 43);
	assert_int_equal(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "y"))), 43);
	assert_null(cJSON_GetObjectItem(jwk, "n"));
	cJSON_Delete(jwk);

	jwk = asym_round_trip(CONFIG_JWT_ES256, "es-2024.1_a");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
	    "kid")), "es-2024.1_a");
	cJSON_Delete(jwk);
}

static void
test_setup_refuses_keys(void **state)
{
	static const struct {
		enum config_jwt_alg	 alg;
		int			 which;
		const char		*want;
	} cases[] = {
		{ CONFIG_JWT_RS256, 0, "2048 to 4096 bits" },
		{ CONFIG_JWT_ES256, 1, "P-256" },
		{ CONFIG_JWT_RS256, 2, "RSA key" },
		{ CONFIG_JWT_ES256, 3, "P-256" },
		{ CONFIG_JWT_RS256, 4, "cannot open" },
		{ CONFIG_JWT_ES256, 5, "empty" },
		{ CONFIG_JWT_RS256, 6, "unencrypted PEM private key" },
		{ CONFIG_JWT_ES256, 7, "unencrypted PEM private key" },
	};
	const char	*files[8];
	struct config	 cfg;
	size_t		 i;

	(void)state;
	files[0] = K.rsa1024_priv;
	files[1] = K.p384_priv;
	files[2] = K.ec_priv;
	files[3] = K.rsa_priv;
	files[4] = K.missing;
	files[5] = K.empty;
	files[6] = K.junk;
	files[7] = K.ec_pub;		/* a public key will not sign */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg_local(&cfg, cases[i].alg);
		cfg.jwt_key_file = files[cases[i].which];
		setup_fails(&cfg, cases[i].want);
	}
}

static void
test_setup_refuses_external(void **state)
{
	static const char *const	bad_roles[] = {
		"Koordination",
		"=coordinator",
		"Koordination=",
		"Koordination=coordinator,,Land=state_admin",
		"Koordination=Coordinator",
		"Koordination=coordinator,Land",
		"a=assistant,b=assistant,c=assistant,d=assistant,"
		    "e=assistant,f=assistant,g=assistant,h=assistant,"
		    "i=assistant,j=assistant,k=assistant,l=assistant,"
		    "m=assistant,n=assistant,o=assistant,p=assistant,"
		    "q=assistant",
		"ThisGroupNameIsLongerThanSixtyFourCharactersWhichTheMapCannot"
		    "Hold=coordinator",
	};
	static const char *const	staff_only[] = {
		"Koordination=mentor",
		"Koordination=coordinator,Traeger=organization",
		"Teilnehmende=participant",
	};
	struct token_config	tc;
	struct config		cfg;
	size_t			i;

	(void)state;
	cfg_external(&cfg);
	cfg.ext_key_file = K.p384_pub;
	setup_fails(&cfg, "P-256");
	cfg_external(&cfg);
	cfg.ext_key_file = K.rsa_pub;
	setup_fails(&cfg, "P-256");
	cfg_external(&cfg);
	cfg.ext_alg = CONFIG_JWT_RS256;
	setup_fails(&cfg, "RSA key");
	cfg.ext_key_file = K.rsa1024_pub;
	setup_fails(&cfg, "2048 to 4096 bits");
	cfg_external(&cfg);
	cfg.ext_key_file = K.missing;
	setup_fails(&cfg, "cannot open");
	cfg_external(&cfg);
	cfg.ext_key_file = K.ec_priv;		/* private, not public */
	setup_fails(&cfg, "no PEM public key");

	for (i = 0; i < sizeof(staff_only) / sizeof(staff_only[0]); i++) {
		cfg_external(&cfg);
		cfg.ext_roles = staff_only[i];
		setup_fails(&cfg, "CH_JWT_EXTERNAL_ROLES");
		setup_fails(&cfg, "only state_admin, coordinator and "
		    "assistant");
	}
	for (i = 0; i < sizeof(bad_roles) / sizeof(bad_roles[0]); i++) {
		cfg_external(&cfg);
		cfg.ext_roles = bad_roles[i];
		setup_fails(&cfg, "CH_JWT_EXTERNAL_ROLES");
	}

	/* The good ones, and RS256 with the RSA public key. */
	cfg_external(&cfg);
	cfg.ext_roles = "Land=state_admin,Koordination=coordinator,"
	    "Assistenz=assistant,";
	setup_ok(&tc, &cfg);
	assert_int_equal(tc.has_external, 1);
	assert_int_equal(tc.external.nroles, 3);
	assert_string_equal(tc.external.roles[2].theirs, "Assistenz");
	assert_int_equal(tc.external.roles[2].ours, ROLE_ASSISTANT);
	token_cleanup(&tc);
	cfg_external(&cfg);
	cfg.ext_key_file = K.rsa_pub;
	cfg.ext_alg = CONFIG_JWT_RS256;
	setup_ok(&tc, &cfg);
	token_cleanup(&tc);
}

/* "none" in any spelling, against every configured algorithm. */
static void
test_alg_none(void **state)
{
	static const char *const	spellings[] = {
		"none", "None", "NONE", "nOnE",
	};
	static const enum config_jwt_alg	algs[] = {
		CONFIG_JWT_HS256, CONFIG_JWT_RS256, CONFIG_JWT_ES256,
	};
	struct token_config	tc;
	struct config		cfg;
	struct signer		sig;
	char			hdr[256], tok[TOK_BUF], what[128];
	size_t			a, i;

	(void)state;
	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		cfg_local(&cfg, algs[a]);
		setup_ok(&tc, &cfg);
		for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\","
			    "\"typ\":\"JWT\",\"kid\":\"%s\"}", spellings[i],
			    tc.local.key.kid);
			snprintf(what, sizeof(what), "alg %s, config %d, no "
			    "signature", spellings[i], algs[a]);

			memset(&sig, 0, sizeof(sig));
			sig.kind = SIG_EMPTY;
			craft(tok, sizeof(tok), hdr, LOCAL_PAYLOAD, &sig);
			expect(&tc, tok, NOW, TOKEN_MALFORMED, what);

			sig.kind = SIG_JUNK;
			craft(tok, sizeof(tok), hdr, LOCAL_PAYLOAD, &sig);
			expect(&tc, tok, NOW, TOKEN_INVALID, "junk signature");

			sig.kind = SIG_HS;
			sig.key = SECRET;
			sig.keylen = strlen(SECRET);
			craft(tok, sizeof(tok), hdr, LOCAL_PAYLOAD, &sig);
			expect(&tc, tok, NOW, TOKEN_INVALID, "HMAC signature");
		}
		token_cleanup(&tc);
	}
}

/*
 * The classic confusion: an HS256 token whose HMAC key is the public key
 * PEM the server verifies RS256 or ES256 with. Also with alg twice in the
 * header, since libjwt (Jansson) keeps the last and cJSON the first.
 */
static void
test_alg_confusion(void **state)
{
	static const enum config_jwt_alg	algs[] = {
		CONFIG_JWT_RS256, CONFIG_JWT_ES256,
	};
	struct token_config	 tc;
	struct config		 cfg;
	struct signer		 hs, own;
	const char		*name, *pem;
	char			 hdr[512], tok[TOK_BUF];
	size_t			 a;

	(void)state;
	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		cfg_local(&cfg, algs[a]);
		setup_ok(&tc, &cfg);
		name = algs[a] == CONFIG_JWT_RS256 ? "RS256" : "ES256";
		pem = algs[a] == CONFIG_JWT_RS256 ? K.rsa_pem : K.ec_pem;
		assert_string_equal((const char *)tc.local.key.verify_key, pem);
		memset(&own, 0, sizeof(own));
		own.kind = algs[a] == CONFIG_JWT_RS256 ? SIG_RS : SIG_ES;
		own.pkey = algs[a] == CONFIG_JWT_RS256 ? K.rsa : K.ec;
		memset(&hs, 0, sizeof(hs));
		hs.kind = SIG_HS;
		hs.key = tc.local.key.verify_key;
		hs.keylen = tc.local.key.verify_len;

		/* The control: the real algorithm and key pass. */
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\","
		    "\"kid\":\"%s\"}", name, tc.local.key.kid);
		craft(tok, sizeof(tok), hdr, LOCAL_PAYLOAD, &own);
		expect(&tc, tok, NOW, TOKEN_OK, "control");

		snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
		    "\"kid\":\"%s\"}", tc.local.key.kid);
		craft(tok, sizeof(tok), hdr, LOCAL_PAYLOAD, &hs);
		expect(&tc, tok, NOW, TOKEN_INVALID, "HS256 keyed with PEM");
		hs.keylen--;	/* without the final newline */
		craft(tok, sizeof(tok), hdr, LOCAL_PAYLOAD, &hs);
		expect(&tc, tok, NOW, TOKEN_INVALID, "HS256 keyed with PEM-1");
		hs.keylen++;

		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\","
		    "\"kid\":\"%s\",\"alg\":\"HS256\"}", name,
		    tc.local.key.kid);
		craft(tok, sizeof(tok), hdr, LOCAL_PAYLOAD, &hs);
		expect(&tc, tok, NOW, TOKEN_INVALID, "alg twice, HS256 last");
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
		    "\"kid\":\"%s\",\"alg\":\"%s\"}", tc.local.key.kid, name);
		craft(tok, sizeof(tok), hdr, LOCAL_PAYLOAD, &hs);
		expect(&tc, tok, NOW, TOKEN_INVALID, "alg twice, HS256 first");

		/* The other asymmetric algorithm, properly signed. */
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\","
		    "\"kid\":\"%s\"}", algs[a] == CONFIG_JWT_RS256 ? "ES256" :
		    "RS256", tc.local.key.kid);
		own.kind = algs[a] == CONFIG_JWT_RS256 ? SIG_ES : SIG_RS;
		own.pkey = algs[a] == CONFIG_JWT_RS256 ? K.ec : K.rsa;
		craft(tok, sizeof(tok), hdr, LOCAL_PAYLOAD, &own);
		expect(&tc, tok, NOW, TOKEN_INVALID, "other algorithm");
		token_cleanup(&tc);
	}
}

static void
test_local_header(void **state)
{
	static const struct patch_case	cases[] = {
		{ "control", NULL, NULL, TOKEN_OK },
		{ "typ JWS", "{\"typ\":\"JWS\"}", NULL, TOKEN_INVALID },
		{ "typ missing", "{\"-typ\":0}", NULL, TOKEN_INVALID },
		{ "typ at+jwt", "{\"typ\":\"at+jwt\"}", NULL, TOKEN_INVALID },
		{ "typ number", "{\"typ\":1}", NULL, TOKEN_INVALID },
		{ "typ null", "{\"typ\":null}", NULL, TOKEN_INVALID },
		{ "crit", "{\"crit\":[\"exp\"]}", NULL, TOKEN_INVALID },
		{ "crit empty", "{\"crit\":[]}", NULL, TOKEN_INVALID },
		{ "alg HS512", "{\"alg\":\"HS512\"}", NULL, TOKEN_INVALID },
		{ "alg hs256", "{\"alg\":\"hs256\"}", NULL, TOKEN_INVALID },
		{ "alg missing", "{\"-alg\":0}", NULL, TOKEN_INVALID },
		{ "alg number", "{\"alg\":256}", NULL, TOKEN_INVALID },
		{ "alg array", "{\"alg\":[\"HS256\"]}", NULL, TOKEN_INVALID },
		{ "kid unknown", "{\"kid\":\"k1\"}", NULL, TOKEN_INVALID },
		{ "kid number", "{\"kid\":1}", NULL, TOKEN_INVALID },
		{ "extra member", "{\"cty\":\"JWT\"}", NULL, TOKEN_OK },
	};
	struct token_config	tc;
	struct config		cfg;
	struct signer		hs = { SIG_HS, SECRET, sizeof(SECRET) - 1,
				    NULL };

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	setup_ok(&tc, &cfg);
	run_patch_cases(&tc, HS_HEADER, LOCAL_PAYLOAD, &hs, cases,
	    sizeof(cases) / sizeof(cases[0]));
	token_cleanup(&tc);
}

static void
test_local_claims(void **state)
{
	static const struct patch_case	cases[] = {
		{ "control", NULL, NULL, TOKEN_OK },
		/* iss and aud */
		{ "iss other", NULL, "{\"iss\":\"someone-else\"}",
		    TOKEN_INVALID },
		{ "iss external", NULL, "{\"iss\":\"" EXT_ISSUER "\"}",
		    TOKEN_INVALID },
		{ "iss missing", NULL, "{\"-iss\":0}", TOKEN_INVALID },
		{ "iss number", NULL, "{\"iss\":1}", TOKEN_INVALID },
		{ "iss array", NULL, "{\"iss\":[\"" ISSUER "\"]}",
		    TOKEN_INVALID },
		{ "aud other", NULL, "{\"aud\":\"other-api\"}", TOKEN_INVALID },
		{ "aud case", NULL, "{\"aud\":\"CH-API\"}", TOKEN_INVALID },
		{ "aud missing", NULL, "{\"-aud\":0}", TOKEN_INVALID },
		{ "aud array with ours", NULL,
		    "{\"aud\":[\"other-api\",\"ch-api\"]}", TOKEN_OK },
		{ "aud array of ours", NULL, "{\"aud\":[\"ch-api\"]}",
		    TOKEN_OK },
		{ "aud array without ours", NULL, "{\"aud\":[\"other-api\"]}",
		    TOKEN_INVALID },
		{ "aud array empty", NULL, "{\"aud\":[]}", TOKEN_INVALID },
		{ "aud array non-string", NULL, "{\"aud\":[\"ch-api\",1]}",
		    TOKEN_INVALID },
		{ "aud array null", NULL, "{\"aud\":[null,\"ch-api\"]}",
		    TOKEN_INVALID },
		{ "aud number", NULL, "{\"aud\":1}", TOKEN_INVALID },
		{ "aud object", NULL, "{\"aud\":{\"ch-api\":1}}",
		    TOKEN_INVALID },
		/* exp, iat, nbf */
		{ "exp string", NULL, "{\"exp\":\"9999999999\"}",
		    TOKEN_INVALID },
		{ "exp string now", NULL, "{\"exp\":\"1700000900\"}",
		    TOKEN_INVALID },
		{ "exp 1.5", NULL, "{\"exp\":1.5}", TOKEN_INVALID },
		{ "exp fraction", NULL, "{\"exp\":1700000899.5}",
		    TOKEN_INVALID },
		{ "exp integral in exponent form", NULL,
		    "{\"exp\":1.7000009e9}", TOKEN_OK },
		{ "exp missing", NULL, "{\"-exp\":0}", TOKEN_INVALID },
		{ "exp null", NULL, "{\"exp\":null}", TOKEN_INVALID },
		{ "exp negative", NULL, "{\"exp\":-1}", TOKEN_INVALID },
		{ "exp huge", NULL, "{\"exp\":1e300}", TOKEN_INVALID },
		{ "exp true", NULL, "{\"exp\":true}", TOKEN_INVALID },
		{ "exp equals iat", NULL, "{\"exp\":1700000000}",
		    TOKEN_INVALID },
		{ "exp before iat", NULL, "{\"exp\":1699999999}",
		    TOKEN_INVALID },
		{ "lifetime 901", NULL, "{\"exp\":1700000901}",
		    TOKEN_INVALID },
		{ "lifetime a year", NULL, "{\"exp\":1731536000}",
		    TOKEN_INVALID },
		{ "lifetime 1", NULL, "{\"exp\":1700000001}", TOKEN_OK },
		{ "iat missing", NULL, "{\"-iat\":0}", TOKEN_INVALID },
		{ "iat string", NULL, "{\"iat\":\"1700000000\"}",
		    TOKEN_INVALID },
		{ "iat float", NULL, "{\"iat\":1700000000.25}",
		    TOKEN_INVALID },
		{ "iat within leeway", NULL, "{\"iat\":1700000030}",
		    TOKEN_OK },
		{ "iat beyond leeway", NULL, "{\"iat\":1700000031}",
		    TOKEN_INVALID },
		{ "iat far ahead", NULL,
		    "{\"iat\":1800000000,\"exp\":1800000900}", TOKEN_INVALID },
		{ "nbf now", NULL, "{\"nbf\":1700000000}", TOKEN_OK },
		{ "nbf within leeway", NULL, "{\"nbf\":1700000030}",
		    TOKEN_OK },
		{ "nbf beyond leeway", NULL, "{\"nbf\":1700000031}",
		    TOKEN_NOT_YET_VALID },
		{ "nbf string", NULL, "{\"nbf\":\"1700000000\"}",
		    TOKEN_INVALID },
		{ "nbf null", NULL, "{\"nbf\":null}", TOKEN_INVALID },
		{ "nbf float", NULL, "{\"nbf\":1.5}", TOKEN_INVALID },
		/* sub, sid, jti */
		{ "sub not a uuid", NULL, "{\"sub\":\"alice\"}",
		    TOKEN_INVALID },
		{ "sub uuid without dashes", NULL,
		    "{\"sub\":\"0b6f2a4e1c3d4e5f8a9b0c1d2e3f4a5b\"}",
		    TOKEN_INVALID },
		{ "sub uuid in braces", NULL,
		    "{\"sub\":\"{0b6f2a4e-1c3d-4e5f-8a9b-0c1d2e3f4a5b}\"}",
		    TOKEN_INVALID },
		{ "sub missing", NULL, "{\"-sub\":0}", TOKEN_INVALID },
		{ "sub number", NULL, "{\"sub\":42}", TOKEN_INVALID },
		{ "sub empty", NULL, "{\"sub\":\"\"}", TOKEN_INVALID },
		{ "sid missing", NULL, "{\"-sid\":0}", TOKEN_INVALID },
		{ "sid not a uuid", NULL, "{\"sid\":\"session-1\"}",
		    TOKEN_INVALID },
		{ "sid null", NULL, "{\"sid\":null}", TOKEN_INVALID },
		{ "jti missing", NULL, "{\"-jti\":0}", TOKEN_INVALID },
		{ "jti empty", NULL, "{\"jti\":\"\"}", TOKEN_INVALID },
		{ "jti number", NULL, "{\"jti\":1}", TOKEN_INVALID },
		{ "jti control character", NULL, "{\"jti\":\"a\\nb\"}",
		    TOKEN_INVALID },
		/* role and district */
		{ "role unknown", NULL, "{\"role\":\"superuser\"}",
		    TOKEN_INVALID },
		{ "role case", NULL, "{\"role\":\"Coordinator\"}",
		    TOKEN_INVALID },
		{ "role number", NULL, "{\"role\":1}", TOKEN_INVALID },
		{ "role missing", NULL, "{\"-role\":0}", TOKEN_INVALID },
		{ "role array", NULL, "{\"role\":[\"coordinator\"]}",
		    TOKEN_INVALID },
		{ "role mentor", NULL, "{\"role\":\"mentor\"}", TOKEN_OK },
		{ "district 4 digits", NULL, "{\"district\":\"1605\"}",
		    TOKEN_INVALID },
		{ "district 6 digits", NULL, "{\"district\":\"160511\"}",
		    TOKEN_INVALID },
		{ "district number", NULL, "{\"district\":16051}",
		    TOKEN_INVALID },
		{ "district null", NULL, "{\"district\":null}",
		    TOKEN_INVALID },
		{ "district missing", NULL, "{\"-district\":0}",
		    TOKEN_INVALID },
		{ "district letter", NULL, "{\"district\":\"1605a\"}",
		    TOKEN_INVALID },
		{ "district padded", NULL, "{\"district\":\" 1605\"}",
		    TOKEN_INVALID },
		{ "district empty", NULL, "{\"district\":\"\"}",
		    TOKEN_INVALID },
		{ "state admin, null district", NULL,
		    "{\"role\":\"state_admin\",\"district\":null}", TOKEN_OK },
		{ "state admin with district", NULL,
		    "{\"role\":\"state_admin\"}", TOKEN_INVALID },
		{ "state admin, empty district", NULL,
		    "{\"role\":\"state_admin\",\"district\":\"\"}",
		    TOKEN_INVALID },
		{ "state admin, no district member", NULL,
		    "{\"role\":\"state_admin\",\"-district\":0}",
		    TOKEN_INVALID },
		/* what we do not read may be there */
		{ "extra claim", NULL, "{\"scope\":\"all\"}", TOKEN_OK },
	};
	struct token_config	tc;
	struct config		cfg;
	struct signer		hs = { SIG_HS, SECRET, sizeof(SECRET) - 1,
				    NULL };

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	setup_ok(&tc, &cfg);
	run_patch_cases(&tc, HS_HEADER, LOCAL_PAYLOAD, &hs, cases,
	    sizeof(cases) / sizeof(cases[0]));
	long_string_cases(&tc, HS_HEADER, LOCAL_PAYLOAD, &hs, "jti", 128,
	    TOKEN_OK);
	long_string_cases(&tc, HS_HEADER, LOCAL_PAYLOAD, &hs, "jti", 129,
	    TOKEN_INVALID);
	long_string_cases(&tc, HS_HEADER, LOCAL_PAYLOAD, &hs, "iss", 257,
	    TOKEN_INVALID);
	token_cleanup(&tc);
}

/*
 * Payload texts the patches cannot write. The claims are read with cJSON
 * and the signature checked by libjwt, which parses again with Jansson:
 * what one parser takes and the other does not must not get through.
 */
static void
test_raw_payloads(void **state)
{
#define CLAIMS	"{\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE "\"," \
		"\"sub\":\"" SUB "\",\"sid\":\"" SID "\","		\
		"\"jti\":\"j\",\"iat\":1700000000,\"exp\":1700000900,"
	static const struct {
		const char		*what;
		const char		*header;
		const char		*payload;
		enum token_error	 want;
	} cases[] = {
		{ "control", HS_HEADER, CLAIMS "\"role\":\"coordinator\","
		    "\"district\":\"16051\"}", TOKEN_OK },
		{ "whitespace around", " " HS_HEADER "\n", "\t" LOCAL_PAYLOAD
		    "\r\n", TOKEN_OK },
		{ "NUL escape in district", HS_HEADER, CLAIMS
		    "\"role\":\"coordinator\",\"district\":\"16051\\u0000x\"}",
		    TOKEN_INVALID },
		{ "NUL escape in role", HS_HEADER, CLAIMS
		    "\"role\":\"coordinator\\u0000\",\"district\":\"16051\"}",
		    TOKEN_INVALID },
		{ "NUL escape in alg", "{\"alg\":\"HS256\\u0000\","
		    "\"typ\":\"JWT\"}", LOCAL_PAYLOAD, TOKEN_INVALID },
		{ "junk after the payload", HS_HEADER, LOCAL_PAYLOAD "x",
		    TOKEN_INVALID },
		{ "second object after the payload", HS_HEADER, LOCAL_PAYLOAD
		    "{\"role\":\"state_admin\"}", TOKEN_INVALID },
		{ "junk after the header", HS_HEADER "]", LOCAL_PAYLOAD,
		    TOKEN_INVALID },
		{ "byte order mark", HS_HEADER, "\xef\xbb\xbf" LOCAL_PAYLOAD,
		    TOKEN_INVALID },
		{ "overlong UTF-8", HS_HEADER, CLAIMS
		    "\"role\":\"coordinator\",\"district\":\"16051\","
		    "\"x\":\"\xc0\xaf\"}",
		    TOKEN_MALFORMED },
	};
#undef CLAIMS
	struct token_config	tc;
	struct config		cfg;
	struct signer		hs = { SIG_HS, SECRET, sizeof(SECRET) - 1,
				    NULL };
	char			tok[TOK_BUF];
	size_t			i;

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	setup_ok(&tc, &cfg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		craft(tok, sizeof(tok), cases[i].header, cases[i].payload,
		    &hs);
		expect(&tc, tok, NOW, cases[i].want, cases[i].what);
	}
	token_cleanup(&tc);
}

/* Our RS256 tokens must name their key; ES256 the same way. */
static void
test_asym_kid(void **state)
{
	static const struct patch_case	cases[] = {
		{ "kid wrong", "{\"kid\":\"not-our-key\"}", NULL,
		    TOKEN_INVALID },
		{ "kid missing", "{\"-kid\":0}", NULL, TOKEN_INVALID },
		{ "kid number", "{\"kid\":7}", NULL, TOKEN_INVALID },
		{ "kid empty", "{\"kid\":\"\"}", NULL, TOKEN_INVALID },
		{ "typ JWS", "{\"typ\":\"JWS\"}", NULL, TOKEN_INVALID },
		{ "crit", "{\"crit\":[\"b64\"],\"b64\":false}", NULL,
		    TOKEN_INVALID },
	};
	static const enum config_jwt_alg	algs[] = {
		CONFIG_JWT_RS256, CONFIG_JWT_ES256,
	};
	struct token_config	tc;
	struct config		cfg;
	struct signer		own;
	struct patch_case	ok = { "kid right", NULL, NULL, TOKEN_OK };
	char			hdr[256];
	size_t			a;

	(void)state;
	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		cfg_local(&cfg, algs[a]);
		setup_ok(&tc, &cfg);
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\","
		    "\"kid\":\"%s\"}", algs[a] == CONFIG_JWT_RS256 ? "RS256" :
		    "ES256", tc.local.key.kid);
		memset(&own, 0, sizeof(own));
		own.kind = algs[a] == CONFIG_JWT_RS256 ? SIG_RS : SIG_ES;
		own.pkey = algs[a] == CONFIG_JWT_RS256 ? K.rsa : K.ec;
		run_patch_cases(&tc, hdr, LOCAL_PAYLOAD, &own, &ok, 1);
		run_patch_cases(&tc, hdr, LOCAL_PAYLOAD, &own, cases,
		    sizeof(cases) / sizeof(cases[0]));

		/* Another key of the right kind, claiming our kid. */
		own.pkey = algs[a] == CONFIG_JWT_RS256 ? K.rsa1024 : K.ec2;
		ok.want = TOKEN_INVALID;
		run_patch_cases(&tc, hdr, LOCAL_PAYLOAD, &own, &ok, 1);
		ok.want = TOKEN_OK;
		token_cleanup(&tc);
	}
}

/* Shapes, characters and base64url: TOKEN_MALFORMED before any crypto. */
static void
test_malformed(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct signer		 hs = { SIG_HS, SECRET, sizeof(SECRET) - 1,
				    NULL };
	char			 good[TOKEN_MAX + 1], tok[TOK_BUF];
	char			*h, *p, *s;
	char			 json[512];
	size_t			 hlen, plen, len;
	unsigned char		 v;
	const char		*cut;
	static const char	 b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	setup_ok(&tc, &cfg);
	craft(good, sizeof(good), HS_HEADER, LOCAL_PAYLOAD, &hs);
	expect(&tc, good, NOW, TOKEN_OK, "control");

	/* h, p, s: copies of the three segments. */
	assert_non_null(h = strdup(good));
	p = strchr(h, '.');
	*p++ = '\0';
	s = strchr(p, '.');
	*s++ = '\0';
	hlen = strlen(h);
	plen = strlen(p);

	snprintf(tok, sizeof(tok), "%s.%s", h, p);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "two segments");
	snprintf(tok, sizeof(tok), "%s.%s.%s.%s", h, p, s, s);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "four segments");
	snprintf(tok, sizeof(tok), "%s.%s.%s.", h, p, s);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "trailing dot");
	snprintf(tok, sizeof(tok), "%s.%s.", h, p);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "empty signature");
	snprintf(tok, sizeof(tok), ".%s.%s", p, s);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "empty header");
	snprintf(tok, sizeof(tok), "%s..%s", h, s);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "empty payload");
	expect(&tc, "", NOW, TOKEN_MALFORMED, "empty token");
	expect(&tc, "..", NOW, TOKEN_MALFORMED, "two dots");
	expect(&tc, "...", NOW, TOKEN_MALFORMED, "three dots");
	expect(&tc, h, NOW, TOKEN_MALFORMED, "one segment");

	/* Characters outside base64url and the dots. */
	snprintf(tok, sizeof(tok), "%s ", good);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "trailing space");
	snprintf(tok, sizeof(tok), " %s", good);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "leading space");
	snprintf(tok, sizeof(tok), "%s\n", good);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "trailing newline");
	snprintf(tok, sizeof(tok), "Bearer %s", good);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "with the scheme");
	snprintf(tok, sizeof(tok), "%s", good);
	tok[hlen + plen + 3] = '+';
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "'+' in the signature");
	tok[hlen + plen + 3] = '/';
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "'/' in the signature");
	snprintf(tok, sizeof(tok), "%s=", good);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "'=' after the signature");
	snprintf(tok, sizeof(tok), "%s=.%s.%s", h, p, s);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "'=' after the header");
	snprintf(tok, sizeof(tok), "%s", good);
	tok[hlen + 5] = '+';
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "'+' in the payload");
	snprintf(tok, sizeof(tok), "%s", good);
	tok[2] = '%';
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "'%' in the header");
	snprintf(tok, sizeof(tok), "%s", good);
	tok[hlen + 7] = (char)0xc3;
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "a byte over 0x7f");

	/* Lengths base64url cannot have: 4n + 1. */
	snprintf(tok, sizeof(tok), "%s", h);
	while (strlen(tok) % 4 != 1)
		strcat(tok, "A");
	snprintf(tok + strlen(tok), sizeof(tok) - strlen(tok), ".%s.%s", p, s);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "header 4n+1 long");
	snprintf(tok, sizeof(tok), "%s.%s", h, p);
	while ((strlen(tok) - hlen - 1) % 4 != 1)
		strcat(tok, "A");
	snprintf(tok + strlen(tok), sizeof(tok) - strlen(tok), ".%s", s);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload 4n+1 long");

	/* Unused low bits set in the last character: not canonical. */
	snprintf(json, sizeof(json), "%s", LOCAL_PAYLOAD);
	while (strlen(json) % 3 != 1)
		strcat(json, " ");
	snprintf(tok, sizeof(tok), "%s.", h);
	b64_append(tok, sizeof(tok), json, strlen(json));
	len = strlen(tok);
	v = (unsigned char)(strchr(b64chars, tok[len - 1]) - b64chars);
	tok[len - 1] = b64chars[v | 1];
	sign_append(tok, sizeof(tok), &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "non-canonical payload");

	/* Decodes, but is no JSON object. */
	craft(tok, sizeof(tok), HS_HEADER, "[1,2]", &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload array");
	craft(tok, sizeof(tok), HS_HEADER, "[" LOCAL_PAYLOAD "]", &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload object in array");
	craft(tok, sizeof(tok), HS_HEADER, "\"" SUB "\"", &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload string");
	craft(tok, sizeof(tok), HS_HEADER, "null", &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload null");
	craft(tok, sizeof(tok), HS_HEADER, "{\"iss\":", &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload cut short");
	craft(tok, sizeof(tok), HS_HEADER, "{'iss':'connecting-humans'}",
	    &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload single quotes");
	craft(tok, sizeof(tok), HS_HEADER, "{\"sub\":\"\xff\"}", &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload not UTF-8");
	craft(tok, sizeof(tok), "[\"HS256\"]", LOCAL_PAYLOAD, &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "header array");
	craft(tok, sizeof(tok), "alg=HS256", LOCAL_PAYLOAD, &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "header not JSON");

	/* A NUL byte inside the payload. */
	snprintf(json, sizeof(json), "%s", LOCAL_PAYLOAD);
	len = strlen(json);
	snprintf(tok, sizeof(tok), "%s.", h);
	b64_append(tok, sizeof(tok), json, len + 1);
	sign_append(tok, sizeof(tok), &hs);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload with NUL");

	/* Not refused here but by the signature: still refused. */
	cut = strchr(good, '.');
	snprintf(tok, sizeof(tok), "%s", good);
	len = strlen(tok);
	tok[len - 1] = '\0';
	expect(&tc, tok, NOW, TOKEN_INVALID, "signature one short");
	strcat(tok, "AA");
	expect(&tc, tok, NOW, TOKEN_INVALID, "signature one long");
	snprintf(tok, sizeof(tok), "%.*s.%s", (int)(cut - good), good, s);
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "payload dropped");

	free(h);
	token_cleanup(&tc);
}

/* Up to TOKEN_MAX characters are looked at, one more is not. */
static void
test_token_max(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct signer		 hs = { SIG_HS, SECRET, sizeof(SECRET) - 1,
				    NULL };
	char			 tok[TOK_BUF], patch[TOKEN_MAX], *p;
	size_t			 pad, len;
	int			 fit, over;

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	setup_ok(&tc, &cfg);
	fit = over = 0;
	for (pad = 2500; pad < 3200 && !over; pad++) {
		snprintf(patch, sizeof(patch), "{\"pad\":\"%0*d\"}", (int)pad,
		    0);
		p = patch_json(LOCAL_PAYLOAD, patch);
		craft(tok, sizeof(tok), HS_HEADER, p, &hs);
		cJSON_free(p);
		len = strlen(tok);
		if (len > TOKEN_MAX) {
			expect(&tc, tok, NOW, TOKEN_MALFORMED, "too long");
			over = 1;
		} else if (len >= TOKEN_MAX - 1) {
			expect(&tc, tok, NOW, TOKEN_OK, "longest");
			fit = 1;
		}
	}
	assert_true(fit);
	assert_true(over);

	/* Far too long and junk. */
	memset(tok, 'A', TOKEN_MAX * 2 - 1);
	tok[TOKEN_MAX * 2 - 1] = '\0';
	tok[100] = tok[200] = '.';
	expect(&tc, tok, NOW, TOKEN_MALFORMED, "long junk");
	token_cleanup(&tc);
}

static void
test_external_ok(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct token_claims	 c;
	struct signer		 es = { SIG_ES, NULL, 0, NULL };
	char			 tok[TOK_BUF], *jwks;

	(void)state;
	es.pkey = K.ec;
	cfg_external(&cfg);
	setup_ok(&tc, &cfg);
	assert_int_equal(tc.has_external, 1);
	assert_int_equal(tc.external.nroles, 2);

	craft(tok, sizeof(tok), ES_HEADER, EXT_PAYLOAD, &es);
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(token_verify(&tc, tok, NOW, &c), TOKEN_OK);
	assert_int_equal(c.external, 1);
	assert_int_equal(c.role, ROLE_COORDINATOR);
	assert_string_equal(c.district, "16067");
	assert_string_equal(c.sub, "kc-7731");
	assert_string_equal(c.sid, "");
	assert_string_equal(c.jti, "ext-1");
	assert_int_equal(c.exp, NOW + 3600);
	expect(&tc, tok, NOW + 3629, TOKEN_OK, "external T+3629");
	expect(&tc, tok, NOW + 3630, TOKEN_EXPIRED, "external T+3630");

	/* Their key is not ours to publish. */
	assert_non_null(jwks = token_jwks(&tc));
	assert_string_equal(jwks, "{\"keys\":[]}");
	free(jwks);
	token_cleanup(&tc);
}

static void
test_external_claims(void **state)
{
	static const struct patch_case	cases[] = {
		{ "control", NULL, NULL, TOKEN_OK },
		{ "typ jwt", "{\"typ\":\"jwt\"}", NULL, TOKEN_OK },
		{ "typ missing", "{\"-typ\":0}", NULL, TOKEN_OK },
		{ "typ JWS", "{\"typ\":\"JWS\"}", NULL, TOKEN_INVALID },
		{ "typ number", "{\"typ\":1}", NULL, TOKEN_INVALID },
		{ "crit", "{\"crit\":[\"exp\"]}", NULL, TOKEN_INVALID },
		{ "alg RS256", "{\"alg\":\"RS256\"}", NULL, TOKEN_INVALID },
		{ "alg none", "{\"alg\":\"none\"}", NULL, TOKEN_INVALID },
		{ "alg HS256", "{\"alg\":\"HS256\"}", NULL, TOKEN_INVALID },
		{ "role Land", NULL, "{\"grp\":\"Land\"}", TOKEN_OK },
		{ "role Land without ags", NULL,
		    "{\"grp\":\"Land\",\"-ags\":0}", TOKEN_OK },
		{ "role unmapped", NULL, "{\"grp\":\"Mentoring\"}",
		    TOKEN_INVALID },
		{ "role our name", NULL, "{\"grp\":\"coordinator\"}",
		    TOKEN_INVALID },
		{ "role case", NULL, "{\"grp\":\"koordination\"}",
		    TOKEN_INVALID },
		{ "role prefix", NULL, "{\"grp\":\"Koordinatio\"}",
		    TOKEN_INVALID },
		{ "role array", NULL, "{\"grp\":[\"Koordination\"]}",
		    TOKEN_INVALID },
		{ "role missing", NULL, "{\"-grp\":0}", TOKEN_INVALID },
		{ "role only as our claim", NULL,
		    "{\"-grp\":0,\"role\":\"coordinator\"}", TOKEN_INVALID },
		{ "ags missing", NULL, "{\"-ags\":0}", TOKEN_INVALID },
		{ "ags as district", NULL,
		    "{\"-ags\":0,\"district\":\"16067\"}", TOKEN_INVALID },
		{ "ags 4 digits", NULL, "{\"ags\":\"1606\"}", TOKEN_INVALID },
		{ "ags 6 digits", NULL, "{\"ags\":\"160671\"}",
		    TOKEN_INVALID },
		{ "ags number", NULL, "{\"ags\":16067}", TOKEN_INVALID },
		{ "lifetime 3600", NULL, "{\"exp\":1700003600}", TOKEN_OK },
		{ "lifetime 3601", NULL, "{\"exp\":1700003601}",
		    TOKEN_INVALID },
		{ "lifetime a day", NULL, "{\"exp\":1700086400}",
		    TOKEN_INVALID },
		{ "aud other", NULL, "{\"aud\":\"account\"}", TOKEN_INVALID },
		{ "aud array", NULL, "{\"aud\":[\"account\",\"ch-api\"]}",
		    TOKEN_OK },
		{ "aud missing", NULL, "{\"-aud\":0}", TOKEN_INVALID },
		{ "iat missing", NULL, "{\"-iat\":0}", TOKEN_INVALID },
		{ "jti missing", NULL, "{\"-jti\":0}", TOKEN_INVALID },
		{ "nbf ahead", NULL, "{\"nbf\":1700000100}",
		    TOKEN_NOT_YET_VALID },
		{ "sub missing", NULL, "{\"-sub\":0}", TOKEN_INVALID },
	};
	struct token_config	tc;
	struct config		cfg;
	struct signer		es = { SIG_ES, NULL, 0, NULL };
	struct patch_case	kid = { "kid thumbprint", NULL, NULL,
				    TOKEN_OK };
	struct token_claims	c;
	char			hdr[256], tok[TOK_BUF], *p;

	(void)state;
	es.pkey = K.ec;
	cfg_external(&cfg);
	setup_ok(&tc, &cfg);
	run_patch_cases(&tc, ES_HEADER, EXT_PAYLOAD, &es, cases,
	    sizeof(cases) / sizeof(cases[0]));
	long_string_cases(&tc, ES_HEADER, EXT_PAYLOAD, &es, "sub", 200,
	    TOKEN_OK);
	long_string_cases(&tc, ES_HEADER, EXT_PAYLOAD, &es, "sub", 201,
	    TOKEN_INVALID);
	long_string_cases(&tc, ES_HEADER, EXT_PAYLOAD, &es, "jti", 129,
	    TOKEN_INVALID);

	/* The thumbprint of their key is the kid we know it by. */
	assert_int_equal(strlen(tc.external.key.kid), 43);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"JWT\","
	    "\"kid\":\"%s\"}", tc.external.key.kid);
	run_patch_cases(&tc, hdr, EXT_PAYLOAD, &es, &kid, 1);

	/* Land is the state admin: no district even if one is sent. */
	p = patch_json(EXT_PAYLOAD, "{\"grp\":\"Land\"}");
	craft(tok, sizeof(tok), ES_HEADER, p, &es);
	cJSON_free(p);
	assert_int_equal(token_verify(&tc, tok, NOW, &c), TOKEN_OK);
	assert_int_equal(c.role, ROLE_STATE_ADMIN);
	assert_string_equal(c.district, "");
	assert_int_equal(c.external, 1);
	token_cleanup(&tc);
}

/* What the single sign-on signs never passes for ours, and vice versa. */
static void
test_external_boundaries(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct token_claims	 in, c;
	struct signer		 sig;
	char			 tok[TOK_BUF], hdr[256], *p, *ours;

	(void)state;
	cfg_external(&cfg);
	setup_ok(&tc, &cfg);

	/* Their key, our issuer and claims: alg is not ours (HS256). */
	memset(&sig, 0, sizeof(sig));
	sig.kind = SIG_ES;
	sig.pkey = K.ec;
	craft(tok, sizeof(tok), ES_HEADER, LOCAL_PAYLOAD, &sig);
	expect(&tc, tok, NOW, TOKEN_INVALID, "external key, our iss");

	/* HS256 keyed with their public key PEM. */
	sig.kind = SIG_HS;
	sig.key = K.ec_pem;
	sig.keylen = strlen(K.ec_pem);
	craft(tok, sizeof(tok), HS_HEADER, EXT_PAYLOAD, &sig);
	expect(&tc, tok, NOW, TOKEN_INVALID, "HS256 with their PEM");

	/* HS256 keyed with our secret but their issuer. */
	sig.key = SECRET;
	sig.keylen = strlen(SECRET);
	craft(tok, sizeof(tok), HS_HEADER, EXT_PAYLOAD, &sig);
	expect(&tc, tok, NOW, TOKEN_INVALID, "our secret, their iss");

	/* Signed by some other P-256 key. */
	sig.kind = SIG_ES;
	sig.pkey = K.ec2;
	craft(tok, sizeof(tok), ES_HEADER, EXT_PAYLOAD, &sig);
	expect(&tc, tok, NOW, TOKEN_INVALID, "other EC key");

	/* The control: their key, their issuer. */
	sig.pkey = K.ec;
	craft(tok, sizeof(tok), ES_HEADER, EXT_PAYLOAD, &sig);
	expect(&tc, tok, NOW, TOKEN_OK, "control");

	/* Their tokens are signed RS256 when configured so. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	sig.kind = SIG_RS;
	sig.pkey = K.rsa;
	craft(tok, sizeof(tok), hdr, EXT_PAYLOAD, &sig);
	expect(&tc, tok, NOW, TOKEN_INVALID, "RS256 for an ES256 issuer");
	token_cleanup(&tc);

	cfg_external(&cfg);
	cfg.ext_alg = CONFIG_JWT_RS256;
	cfg.ext_key_file = K.rsa_pub;
	setup_ok(&tc, &cfg);
	expect(&tc, tok, NOW, TOKEN_OK, "RS256 issuer");
	p = patch_json(EXT_PAYLOAD, "{\"exp\":1700003601}");
	craft(tok, sizeof(tok), hdr, p, &sig);
	cJSON_free(p);
	expect(&tc, tok, NOW, TOKEN_INVALID, "RS256 issuer, 3601 s");

	/* Ours still work next to theirs. */
	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "%s", SUB);
	snprintf(in.sid, sizeof(in.sid), "%s", SID);
	snprintf(in.district, sizeof(in.district), "16051");
	in.role = ROLE_PARTICIPANT;
	assert_non_null(ours = token_sign(&tc, &in, NOW));
	assert_int_equal(token_verify(&tc, ours, NOW, &c), TOKEN_OK);
	assert_int_equal(c.external, 0);
	assert_int_equal(c.role, ROLE_PARTICIPANT);
	free(ours);
	token_cleanup(&tc);
}

/* CH_* variables through config_load() into token_setup(). */
static const char *
env_get(const char *name)
{
	if (strcmp(name, "CH_DATABASE_URL") == 0)
		return ("postgresql://ch@localhost/ch");
	if (strcmp(name, "CH_JWT_ALG") == 0)
		return ("ES256");
	if (strcmp(name, "CH_JWT_KEY_FILE") == 0)
		return (K.ec_priv);
	if (strcmp(name, "CH_JWT_EXTERNAL_ISSUER") == 0)
		return (EXT_ISSUER);
	if (strcmp(name, "CH_JWT_EXTERNAL_KEY_FILE") == 0)
		return (K.rsa_pub);

	return (NULL);
}

static void
test_from_environment(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct token_claims	 c;
	struct signer		 rs = { SIG_RS, NULL, 0, NULL };
	char			 err[CONFIG_ERR_MAX], tok[TOK_BUF], *p;

	(void)state;
	rs.pkey = K.rsa;
	if (config_load(&cfg, env_get, err, sizeof(err)) != 0)
		fail_msg("config_load: %s", err);
	setup_ok(&tc, &cfg);
	assert_int_equal(tc.local.key.alg, CONFIG_JWT_ES256);
	assert_int_equal(tc.external.key.alg, CONFIG_JWT_RS256);
	assert_int_equal(tc.external.nroles, 3);
	assert_string_equal(tc.external.audience, "ch-api");

	/* The default claims: role and district, our role names. */
	p = patch_json(EXT_PAYLOAD, "{\"-grp\":0,\"-ags\":0,"
	    "\"role\":\"assistant\",\"district\":\"01001\"}");
	craft(tok, sizeof(tok), "{\"alg\":\"RS256\"}", p, &rs);
	cJSON_free(p);
	assert_int_equal(token_verify(&tc, tok, NOW, &c), TOKEN_OK);
	assert_int_equal(c.role, ROLE_ASSISTANT);
	assert_string_equal(c.district, "01001");
	token_cleanup(&tc);
}

/* Former bugs in token.c, kept as regression tests. */

/*
 * RFC 9068 access tokens say typ "at+jwt"; libjwt 1.10 refuses them, so
 * token.c refuses them up front, consistently (documented limitation).
 */
/*
 * A token refused before its segments are read (bad characters, not
 * three segments, too long) left role 0, the state admin, in the claims
 * where every other refusal leaves -1 (found by tests/fuzz).
 */
static void
test_bug_refused_role(void **state)
{
	static const char *const	tokens[] = {
		"", "a", "a.b", "a.b.", "a.b.c.d", "a!.b.c", "a b.c.d",
		"\xc3\xa9.b.c"
	};
	struct token_config	tc;
	struct config		cfg;
	struct token_claims	c;
	size_t			i;

	(void)state;
	cfg_local(&cfg, CONFIG_JWT_HS256);
	setup_ok(&tc, &cfg);
	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		memset(&c, 0x5a, sizeof(c));
		assert_int_equal(token_verify(&tc, tokens[i], NOW, &c),
		    TOKEN_MALFORMED);
		if (c.role != -1)
			fail_msg("\"%s\": refused with role %d", tokens[i],
			    c.role);
	}
	token_cleanup(&tc);
}

static void
test_bug_external_at_jwt(void **state)
{
	static const struct patch_case	cases[] = {
		{ "typ at+jwt", "{\"typ\":\"at+jwt\"}", NULL, TOKEN_INVALID },
		{ "typ AT+JWT", "{\"typ\":\"AT+JWT\"}", NULL, TOKEN_INVALID },
	};
	struct token_config	tc;
	struct config		cfg;
	struct signer		es = { SIG_ES, NULL, 0, NULL };

	(void)state;
	es.pkey = K.ec;
	cfg_external(&cfg);
	setup_ok(&tc, &cfg);
	run_patch_cases(&tc, ES_HEADER, EXT_PAYLOAD, &es, cases,
	    sizeof(cases) / sizeof(cases[0]));
	token_cleanup(&tc);
}

/*
 * A single sign-on names its key by its own kid, which is not our RFC
 * 7638 thumbprint of it; with one pinned key the kid decides nothing.
 */
static void
test_bug_external_kid(void **state)
{
	static const struct patch_case	cases[] = {
		{ "their kid", "{\"kid\":\"Xk3vQ1-sig-2024\"}", NULL,
		    TOKEN_OK },
	};
	struct token_config	tc;
	struct config		cfg;
	struct signer		es = { SIG_ES, NULL, 0, NULL };

	(void)state;
	es.pkey = K.ec;
	cfg_external(&cfg);
	setup_ok(&tc, &cfg);
	run_patch_cases(&tc, ES_HEADER, EXT_PAYLOAD, &es, cases,
	    sizeof(cases) / sizeof(cases[0]));
	token_cleanup(&tc);
}

/*
 * key_describe() copies the modulus into unsigned char buf[1024] with
 * BN_bn2bin() whatever its size: RSA keys over 8192 bits overflow the
 * stack. This 40000-bit public key crashes token_setup().
 */
static void
test_bug_rsa_modulus_overflow(void **state)
{
	OSSL_PARAM_BLD		*bld;
	OSSL_PARAM		*params;
	EVP_PKEY_CTX		*ctx;
	EVP_PKEY		*pkey;
	BIGNUM			*n, *e;
	struct token_config	 tc;
	struct config		 cfg;
	char			 path[PATH_MAX], err[CONFIG_ERR_MAX];
	FILE			*fp;
	int			 rc;

	(void)state;
	assert_non_null(n = BN_new());
	assert_non_null(e = BN_new());
	assert_int_equal(BN_rand(n, 40000, BN_RAND_TOP_ONE,
	    BN_RAND_BOTTOM_ODD), 1);
	assert_int_equal(BN_set_word(e, 65537), 1);
	assert_non_null(bld = OSSL_PARAM_BLD_new());
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N,
	    n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E,
	    e), 1);
	assert_non_null(params = OSSL_PARAM_BLD_to_param(bld));
	assert_non_null(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL));
	pkey = NULL;
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	assert_int_equal(key_file(path, "huge.pub", pkey, 0), 0);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	assert_non_null(fp = fopen(path, "r"));
	fclose(fp);

	cfg_external(&cfg);
	cfg.ext_alg = CONFIG_JWT_RS256;
	cfg.ext_key_file = path;
	rc = token_setup(&tc, &cfg, err, sizeof(err));
	token_cleanup(&tc);
	(void)unlink(path);
	/* Refused with a reason, never a crash. */
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "4096"));
}

/* The same P-256 key with its point compressed is refused. */
static void
test_bug_ec_compressed(void **state)
{
	struct token_config	 tc, tc2;
	struct config		 cfg;
	EVP_PKEY		*pkey;
	char			 path[PATH_MAX];

	(void)state;
	assert_non_null(pkey = EVP_PKEY_dup(K.ec));
	assert_int_equal(EVP_PKEY_set_utf8_string_param(pkey,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"), 1);
	assert_int_equal(key_file(path, "compressed.pub", pkey, 0), 0);
	EVP_PKEY_free(pkey);

	cfg_external(&cfg);
	setup_ok(&tc, &cfg);
	cfg.ext_key_file = path;
	setup_ok(&tc2, &cfg);
	(void)unlink(path);
	assert_string_equal(tc2.external.key.kid, tc.external.key.kid);
	token_cleanup(&tc);
	token_cleanup(&tc2);
}

/*
 * PEM_read_bio_PrivateKey() without a password callback asks for one on
 * the controlling terminal: an encrypted key file makes the server wait
 * for input at start-up instead of refusing the file.
 */
static void
test_bug_encrypted_key_prompts(void **state)
{
	struct token_config	 tc;
	struct config		 cfg;
	struct pollfd		 pfd;
	char			 path[PATH_MAX], out[512];
	char			 err[CONFIG_ERR_MAX];
	FILE			*fp;
	pid_t			 pid;
	ssize_t			 n;
	size_t			 used;
	int			 master, status, waited;

	(void)state;
	assert_int_equal(key_file(path, "encrypted.pem", NULL, 0), 0);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(fp, K.ec, EVP_aes_256_cbc(),
	    NULL, 0, NULL, "hunter2-hunter2"), 1);
	fclose(fp);

	fflush(NULL);
	if ((pid = forkpty(&master, NULL, NULL, NULL)) == -1)
		fail_msg("forkpty failed");
	if (pid == 0) {
		cfg_local(&cfg, CONFIG_JWT_ES256);
		cfg.jwt_key_file = path;
		_exit(token_setup(&tc, &cfg, err, sizeof(err)) == -1 ? 0 : 1);
	}
	used = 0;
	out[0] = '\0';
	for (waited = 0; waited < 3000; waited += 100) {
		pfd.fd = master;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == 1) {
			n = read(master, out + used, sizeof(out) - used - 1);
			if (n <= 0)
				break;
			used += n;
			out[used] = '\0';
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = -1;
			break;
		}
	}
	if (pid != -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(master);
	(void)unlink(path);
	if (strstr(out, "pass phrase") != NULL)
		fail_msg("token_setup asked on the terminal: %s", out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_role_parse),
		cmocka_unit_test(test_hs256_round_trip),
		cmocka_unit_test(test_hs256_roles),
		cmocka_unit_test(test_hs256_wrong_key),
		cmocka_unit_test(test_hs256_kid),
		cmocka_unit_test(test_jwks_hs256),
		cmocka_unit_test(test_rs256_round_trip),
		cmocka_unit_test(test_es256_round_trip),
		cmocka_unit_test(test_setup_refuses_keys),
		cmocka_unit_test(test_setup_refuses_external),
		cmocka_unit_test(test_alg_none),
		cmocka_unit_test(test_alg_confusion),
		cmocka_unit_test(test_local_header),
		cmocka_unit_test(test_local_claims),
		cmocka_unit_test(test_raw_payloads),
		cmocka_unit_test(test_asym_kid),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_token_max),
		cmocka_unit_test(test_external_ok),
		cmocka_unit_test(test_external_claims),
		cmocka_unit_test(test_external_boundaries),
		cmocka_unit_test(test_from_environment),
		cmocka_unit_test(test_bug_refused_role),
		cmocka_unit_test(test_bug_external_at_jwt),
		cmocka_unit_test(test_bug_external_kid),
		cmocka_unit_test(test_bug_ec_compressed),
		cmocka_unit_test(test_bug_encrypted_key_prompts),
		cmocka_unit_test(test_bug_rsa_modulus_overflow),
	};

	if (sodium_init() == -1)
		return (1);

	return (cmocka_run_group_tests_name("token", tests, group_setup,
	    group_teardown));
}
