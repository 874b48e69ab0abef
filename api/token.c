/*
 * Access tokens: signing ours, verifying ours and a trusted external
 * issuer's, and the public keys as a JWK set. No I/O besides reading the
 * key files once at start-up, so the unit tests link it alone.
 *
 * libjwt 1.10.2 checks signatures but no claims, and picks the algorithm
 * from the token's own header. Verification therefore checks the header
 * first (alg fixed per issuer, typ, crit), then lets libjwt check the
 * signature with that issuer's key, and checks every claim itself.
 */

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "ch.h"

#define TOKEN_LEEWAY		30	/* seconds of clock skew tolerated */
#define TOKEN_EXT_LIFETIME	3600	/* longest external token we take */
#define TOKEN_KEY_FILE_MAX	16384

static const char *const role_names[] = {
	"state_admin", "coordinator", "assistant", "organization", "mentor",
	"participant", NULL
};

static const char *const alg_names[] = { "HS256", "RS256", "ES256" };

static int	read_file(const char *, unsigned char **, size_t *, char *,
		    size_t);
static char	*b64url(const unsigned char *, size_t);
static int	b64url_decode(const char *, size_t, unsigned char **,
		    size_t *);
static int	key_load_private(struct token_key *, const char *, char *,
		    size_t);
static int	key_load_public(struct token_key *, const char *, char *,
		    size_t);
static int	key_describe(struct token_key *, EVP_PKEY *, char *, size_t);
static int	no_passphrase(char *, int, int, void *);
static int	key_error(const char *, char *, size_t);
static int	roles_parse(struct token_issuer *, const char *, char *,
		    size_t);
static cJSON	*segment_json(const char *, size_t);
static int	json_int(const cJSON *, const char *, int, long long *);
static int	json_str(const cJSON *, const char *, size_t, const char **);
static int	aud_ok(const cJSON *, const char *);
static int	claims_local(const struct token_issuer *, const cJSON *,
		    struct token_claims *);
static int	claims_external(const struct token_issuer *, const cJSON *,
		    struct token_claims *);

int
role_parse(const char *name)
{
	int	i;

	for (i = 0; role_names[i] != NULL; i++) {
		if (strcmp(name, role_names[i]) == 0)
			return (i);
	}

	return (-1);
}

const char *
role_name(int role)
{
	if (role < 0 || role >= ROLE_COUNT)
		return ("unknown");
	return (role_names[role]);
}

static int
read_file(const char *path, unsigned char **out, size_t *len, char *err,
    size_t errlen)
{
	FILE	*fp;
	size_t	 n;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "cannot open %s", path);
		return (-1);
	}
	*out = malloc(TOKEN_KEY_FILE_MAX + 1);
	n = (*out != NULL) ? fread(*out, 1, TOKEN_KEY_FILE_MAX + 1, fp) : 0;
	fclose(fp);
	if (n == 0 || n > TOKEN_KEY_FILE_MAX) {
		free(*out);
		*out = NULL;
		snprintf(err, errlen, "%s is empty or larger than %d bytes",
		    path, TOKEN_KEY_FILE_MAX);
		return (-1);
	}
	(*out)[n] = '\0';
	*len = n;

	return (0);
}

static char *
b64url(const unsigned char *data, size_t len)
{
	size_t	 max;
	char	*out;

	max = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((out = malloc(max)) == NULL)
		return (NULL);
	sodium_bin2base64(out, max, data, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);

	return (out);
}

/* Strict base64url without padding; -1 for anything else. */
static int
b64url_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	const char	*end;

	if (len == 0 || len % 4 == 1 || !codec_base64url_ok(in, len))
		return (-1);
	if ((*out = malloc(len)) == NULL)
		return (-1);
	if (sodium_base642bin(*out, len, in, len, NULL, outlen, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != in + len) {
		free(*out);
		*out = NULL;
		return (-1);
	}

	return (0);
}

/*
 * Fills the key's public JWK and, unless configured, its kid: the RFC
 * 7638 thumbprint. Refuses RSA keys under 2048 bits and EC keys not on
 * P-256, the only curve ES256 allows.
 */
static int
key_describe(struct token_key *k, EVP_PKEY *pkey, char *err, size_t errlen)
{
	BIGNUM		*n, *e;
	unsigned char	 buf[1024], digest[crypto_hash_sha256_BYTES];
	char		 group[64], canon[2048], *x, *y, *tp;
	size_t		 len;
	int		 ret;

	ret = -1;
	n = e = NULL;
	x = y = tp = NULL;
	if (k->alg == CONFIG_JWT_RS256) {
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA ||
		    EVP_PKEY_get_bits(pkey) < 2048 ||
		    EVP_PKEY_get_bits(pkey) > 4096) {
			snprintf(err, errlen, "RS256 needs an RSA key of 2048 "
			    "to 4096 bits");
			goto out;
		}
		if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
		    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
			goto bad;
		len = BN_bn2bin(n, buf);
		x = b64url(buf, len);
		len = BN_bn2bin(e, buf);
		y = b64url(buf, len);
		if (x == NULL || y == NULL)
			goto bad;
		snprintf(canon, sizeof(canon),
		    "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", y, x);
	} else {
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
		    !EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
		    strcmp(group, "prime256v1") != 0) {
			snprintf(err, errlen, "ES256 needs an EC key on the "
			    "P-256 curve");
			goto out;
		}
		/* The coordinates, whether the file stores the point
		 * compressed or not. */
		if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &n) ||
		    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &e) ||
		    BN_bn2binpad(n, buf, 32) != 32 ||
		    BN_bn2binpad(e, buf + 32, 32) != 32)
			goto bad;
		x = b64url(buf, 32);
		y = b64url(buf + 32, 32);
		if (x == NULL || y == NULL)
			goto bad;
		snprintf(canon, sizeof(canon), "{\"crv\":\"P-256\","
		    "\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
	}

	if (k->kid[0] == '\0') {
		crypto_hash_sha256(digest, (unsigned char *)canon,
		    strlen(canon));
		if ((tp = b64url(digest, sizeof(digest))) == NULL)
			goto bad;
		snprintf(k->kid, sizeof(k->kid), "%s", tp);
	}

	len = strlen(canon) + 128;
	if ((k->jwk = malloc(len)) == NULL)
		goto bad;
	/* The canonical members, then alg, kid and use. */
	snprintf(k->jwk, len, "%.*s,\"alg\":\"%s\",\"kid\":\"%s\","
	    "\"use\":\"sig\"}", (int)strlen(canon) - 1, canon,
	    alg_names[k->alg], k->kid);
	ret = 0;
	goto out;

bad:
	snprintf(err, errlen, "cannot read the public key parameters");
out:
	BN_free(n);
	BN_free(e);
	free(x);
	free(y);
	free(tp);

	return (ret);
}

/* OpenSSL would ask on the terminal for an encrypted key's pass phrase. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return (-1);
}

/* Our signing key: the private PEM for libjwt, its public PEM to verify. */
static int
key_load_private(struct token_key *k, const char *path, char *err,
    size_t errlen)
{
	BIO		*in, *mem;
	EVP_PKEY	*pkey;
	BUF_MEM		*bm;
	int		 ret;

	if (read_file(path, &k->sign_key, &k->sign_len, err, errlen) == -1)
		return (-1);

	ret = -1;
	mem = NULL;
	in = BIO_new_mem_buf(k->sign_key, (int)k->sign_len);
	pkey = PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL);
	if (pkey == NULL) {
		snprintf(err, errlen, "%s holds no unencrypted PEM private key "
		    "(PKCS#8 or traditional format)", path);
		goto out;
	}
	if (key_describe(k, pkey, err, errlen) == -1)
		goto out;
	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PUBKEY(mem, pkey))
		goto out;
	BIO_get_mem_ptr(mem, &bm);
	if ((k->verify_key = malloc(bm->length + 1)) == NULL)
		goto out;
	memcpy(k->verify_key, bm->data, bm->length);
	k->verify_key[bm->length] = '\0';
	k->verify_len = bm->length;
	ret = 0;
out:
	BIO_free(mem);
	BIO_free(in);
	EVP_PKEY_free(pkey);

	return (ret);
}

static int
key_load_public(struct token_key *k, const char *path, char *err,
    size_t errlen)
{
	BIO		*in;
	EVP_PKEY	*pkey;
	int		 ret;

	if (read_file(path, &k->verify_key, &k->verify_len, err,
	    errlen) == -1)
		return (-1);
	in = BIO_new_mem_buf(k->verify_key, (int)k->verify_len);
	pkey = PEM_read_bio_PUBKEY(in, NULL, NULL, NULL);
	BIO_free(in);
	if (pkey == NULL) {
		snprintf(err, errlen, "%s holds no PEM public key", path);
		return (-1);
	}
	ret = key_describe(k, pkey, err, errlen);
	EVP_PKEY_free(pkey);

	return (ret);
}

/* "theirs=ours,..." where ours is a staff role. */
static int
roles_parse(struct token_issuer *iss, const char *spec, char *err,
    size_t errlen)
{
	const char	*p, *eq, *end;
	char		 ours[32];
	size_t		 tlen, olen;
	int		 role;

	for (p = spec; *p != '\0'; p = (*end == ',') ? end + 1 : end) {
		end = p + strcspn(p, ",");
		eq = memchr(p, '=', end - p);
		if (eq == NULL || eq == p || iss->nroles == TOKEN_ROLE_MAP_MAX)
			goto bad;
		tlen = eq - p;
		olen = end - eq - 1;
		if (tlen >= sizeof(iss->roles[0].theirs) || olen == 0 ||
		    olen >= sizeof(ours))
			goto bad;
		memcpy(ours, eq + 1, olen);
		ours[olen] = '\0';
		role = role_parse(ours);
		if (role != ROLE_STATE_ADMIN && role != ROLE_COORDINATOR &&
		    role != ROLE_ASSISTANT) {
			snprintf(err, errlen, "CH_JWT_EXTERNAL_ROLES maps to "
			    "'%s'; only state_admin, coordinator and assistant "
			    "can come from an external issuer", ours);
			return (-1);
		}
		memcpy(iss->roles[iss->nroles].theirs, p, tlen);
		iss->roles[iss->nroles].theirs[tlen] = '\0';
		iss->roles[iss->nroles++].ours = role;
	}
	if (iss->nroles > 0)
		return (0);
bad:
	snprintf(err, errlen, "CH_JWT_EXTERNAL_ROLES must be a list of "
	    "theirs=ours pairs separated by commas");
	return (-1);
}

/* Prefixes a key problem with the variable that named the file; -1. */
static int
key_error(const char *variable, char *err, size_t errlen)
{
	char	reason[CONFIG_ERR_MAX];

	snprintf(reason, sizeof(reason), "%s", err);
	snprintf(err, errlen, "%s: %s", variable, reason);

	return (-1);
}

/*
 * Reads the keys the configuration names. Returns 0, or -1 with a reason
 * in err; token_cleanup() frees what was set up either way.
 */
int
token_setup(struct token_config *tc, const struct config *cfg, char *err,
    size_t errlen)
{
	struct token_issuer	*iss;

	memset(tc, 0, sizeof(*tc));
	iss = &tc->local;
	iss->name = cfg->jwt_issuer;
	iss->audience = cfg->jwt_audience;
	iss->key.alg = cfg->jwt_alg;
	iss->max_lifetime = TOKEN_ACCESS_TTL;
	if (cfg->jwt_kid != NULL)
		snprintf(iss->key.kid, sizeof(iss->key.kid), "%s",
		    cfg->jwt_kid);

	if (cfg->jwt_alg == CONFIG_JWT_HS256) {
		iss->key.sign_len = iss->key.verify_len =
		    strlen(cfg->jwt_secret);
		iss->key.sign_key = malloc(iss->key.sign_len + 1);
		iss->key.verify_key = malloc(iss->key.sign_len + 1);
		if (iss->key.sign_key == NULL || iss->key.verify_key == NULL)
			return (-1);
		memcpy(iss->key.sign_key, cfg->jwt_secret,
		    iss->key.sign_len + 1);
		memcpy(iss->key.verify_key, cfg->jwt_secret,
		    iss->key.sign_len + 1);
	} else if (key_load_private(&iss->key, cfg->jwt_key_file, err,
	    errlen) == -1) {
		return (key_error("CH_JWT_KEY_FILE", err, errlen));
	}

	if (cfg->ext_issuer == NULL)
		return (0);
	tc->has_external = 1;
	iss = &tc->external;
	iss->external = 1;
	iss->name = cfg->ext_issuer;
	iss->audience = cfg->ext_audience;
	iss->key.alg = cfg->ext_alg;
	iss->max_lifetime = TOKEN_EXT_LIFETIME;
	iss->role_claim = cfg->ext_role_claim;
	iss->district_claim = cfg->ext_district_claim;
	if (key_load_public(&iss->key, cfg->ext_key_file, err, errlen) == -1)
		return (key_error("CH_JWT_EXTERNAL_KEY_FILE", err, errlen));

	return (roles_parse(iss, cfg->ext_roles, err, errlen));
}

void
token_cleanup(struct token_config *tc)
{
	struct token_key	*keys[2] = { &tc->local.key, &tc->external.key };
	int			 i;

	for (i = 0; i < 2; i++) {
		if (keys[i]->sign_key != NULL)
			sodium_memzero(keys[i]->sign_key, keys[i]->sign_len);
		free(keys[i]->sign_key);
		free(keys[i]->verify_key);
		free(keys[i]->jwk);
	}
	memset(tc, 0, sizeof(*tc));
}

/* {"keys":[...]}: our public key (none for HS256), malloc'ed. */
char *
token_jwks(const struct token_config *tc)
{
	const char	*jwk = tc->local.key.jwk;
	size_t		 len;
	char		*out;

	len = (jwk ? strlen(jwk) : 0) + 16;
	if ((out = malloc(len)) == NULL)
		return (NULL);
	snprintf(out, len, "{\"keys\":[%s]}", jwk ? jwk : "");

	return (out);
}

/*
 * Signs an access token for claims (sub, role, district, sid) valid from
 * now for TOKEN_ACCESS_TTL seconds, with a fresh jti. Returns a malloc'ed
 * string, or NULL when out of memory or the key is unusable.
 */
char *
token_sign(const struct token_config *tc, const struct token_claims *c,
    time_t now)
{
	const struct token_issuer	*iss = &tc->local;
	cJSON				*doc;
	jwt_t				*jwt;
	unsigned char			 rnd[16];
	char				*grants, *out, *jti;
	jwt_alg_t			 alg;

	alg = iss->key.alg == CONFIG_JWT_HS256 ? JWT_ALG_HS256 :
	    iss->key.alg == CONFIG_JWT_RS256 ? JWT_ALG_RS256 : JWT_ALG_ES256;

	randombytes_buf(rnd, sizeof(rnd));
	if ((jti = b64url(rnd, sizeof(rnd))) == NULL)
		return (NULL);
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "iss", iss->name);
	cJSON_AddStringToObject(doc, "aud", iss->audience);
	cJSON_AddStringToObject(doc, "sub", c->sub);
	cJSON_AddStringToObject(doc, "role", role_name(c->role));
	if (c->district[0] != '\0')
		cJSON_AddStringToObject(doc, "district", c->district);
	else
		cJSON_AddNullToObject(doc, "district");
	cJSON_AddStringToObject(doc, "sid", c->sid);
	cJSON_AddStringToObject(doc, "jti", jti);
	cJSON_AddNumberToObject(doc, "iat", (double)now);
	cJSON_AddNumberToObject(doc, "exp", (double)(now + TOKEN_ACCESS_TTL));
	grants = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	free(jti);
	if (grants == NULL)
		return (NULL);

	out = NULL;
	if (jwt_new(&jwt) != 0) {
		cJSON_free(grants);
		return (NULL);
	}
	if (jwt_add_grants_json(jwt, grants) == 0 &&
	    (iss->key.kid[0] == '\0' ||
	    jwt_add_header(jwt, "kid", iss->key.kid) == 0) &&
	    jwt_set_alg(jwt, alg, iss->key.sign_key,
	    (int)iss->key.sign_len) == 0)
		out = jwt_encode_str(jwt);
	jwt_free(jwt);
	cJSON_free(grants);

	return (out);
}

/* Parses one base64url segment as a JSON object; NULL if it is not one. */
static cJSON *
segment_json(const char *seg, size_t len)
{
	unsigned char	*raw;
	size_t		 rawlen;
	cJSON		*doc;

	if (b64url_decode(seg, len, &raw, &rawlen) == -1)
		return (NULL);
	doc = NULL;
	if (codec_utf8_valid((const char *)raw, rawlen) &&
	    memchr(raw, '\0', rawlen) == NULL)
		doc = cJSON_ParseWithLength((const char *)raw, rawlen);
	free(raw);
	if (doc != NULL && !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		doc = NULL;
	}

	return (doc);
}

/*
 * An integral NumericDate member: 1 found and valid, 0 absent (and not
 * required), -1 present with the wrong type or absent but required.
 */
static int
json_int(const cJSON *obj, const char *name, int required, long long *out)
{
	const cJSON	*v;

	if ((v = cJSON_GetObjectItemCaseSensitive(obj, name)) == NULL)
		return (required ? -1 : 0);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < 0 || v->valuedouble > 253402300799.0 ||
	    v->valuedouble != floor(v->valuedouble))
		return (-1);
	*out = (long long)v->valuedouble;

	return (1);
}

/* A required string member of 1..max bytes without control characters. */
static int
json_str(const cJSON *obj, const char *name, size_t max, const char **out)
{
	const cJSON	*v;
	size_t		 i, len;

	v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!cJSON_IsString(v) || (len = strlen(v->valuestring)) == 0 ||
	    len > max)
		return (-1);
	for (i = 0; i < len; i++) {
		if ((unsigned char)v->valuestring[i] < 0x20 ||
		    v->valuestring[i] == 0x7f)
			return (-1);
	}
	*out = v->valuestring;

	return (0);
}

/* aud is our audience, or an array of strings that contains it. */
static int
aud_ok(const cJSON *payload, const char *audience)
{
	const cJSON	*aud, *a;
	int		 found;

	aud = cJSON_GetObjectItemCaseSensitive(payload, "aud");
	if (cJSON_IsString(aud))
		return (strcmp(aud->valuestring, audience) == 0);
	if (!cJSON_IsArray(aud))
		return (0);
	found = 0;
	cJSON_ArrayForEach(a, aud) {
		if (!cJSON_IsString(a))
			return (0);
		if (strcmp(a->valuestring, audience) == 0)
			found = 1;
	}

	return (found);
}

static int
claims_local(const struct token_issuer *iss, const cJSON *payload,
    struct token_claims *c)
{
	const cJSON	*district;
	const char	*s;

	(void)iss;
	if (json_str(payload, "sub", 36, &s) == -1 || !codec_is_uuid(s))
		return (-1);
	snprintf(c->sub, sizeof(c->sub), "%s", s);
	if (json_str(payload, "sid", 36, &s) == -1 || !codec_is_uuid(s))
		return (-1);
	snprintf(c->sid, sizeof(c->sid), "%s", s);
	if (json_str(payload, "role", 32, &s) == -1 ||
	    (c->role = role_parse(s)) == -1)
		return (-1);

	/* Everyone works for one district but the state admin. */
	district = cJSON_GetObjectItemCaseSensitive(payload, "district");
	if (c->role == ROLE_STATE_ADMIN) {
		if (!cJSON_IsNull(district))
			return (-1);
	} else {
		if (!cJSON_IsString(district) ||
		    !codec_is_district_key(district->valuestring))
			return (-1);
		snprintf(c->district, sizeof(c->district), "%s",
		    district->valuestring);
	}

	return (0);
}

static int
claims_external(const struct token_issuer *iss, const cJSON *payload,
    struct token_claims *c)
{
	const char	*s;
	int		 i;

	if (json_str(payload, "sub", 200, &s) == -1)
		return (-1);
	snprintf(c->sub, sizeof(c->sub), "%s", s);
	if (json_str(payload, iss->role_claim, 64, &s) == -1)
		return (-1);
	c->role = -1;
	for (i = 0; i < iss->nroles; i++) {
		if (strcmp(s, iss->roles[i].theirs) == 0)
			c->role = iss->roles[i].ours;
	}
	if (c->role == -1)
		return (-1);
	if (c->role == ROLE_STATE_ADMIN) {
		c->district[0] = '\0';
		return (0);
	}
	if (json_str(payload, iss->district_claim, 5, &s) == -1 ||
	    !codec_is_district_key(s))
		return (-1);
	snprintf(c->district, sizeof(c->district), "%s", s);

	return (0);
}

/*
 * Verifies token at time now and fills c. Returns TOKEN_OK or why it was
 * refused; every refusal is a 401 for the caller, the reason only shapes
 * the message, and leaves c zeroed with role -1. Nothing is allocated on
 * return.
 */
enum token_error
token_verify(const struct token_config *tc, const char *token, time_t now,
    struct token_claims *c)
{
	const struct token_issuer	*iss;
	const cJSON			*v;
	cJSON				*header, *payload;
	const char			*dot1, *dot2, *s;
	jwt_t				*jwt;
	long long			 exp, iat, nbf;
	size_t				 len;
	enum token_error		 ret;
	int				 has_nbf;

	/* Role 0 is the state admin: the early refusals must not leave it. */
	memset(c, 0, sizeof(*c));
	c->role = -1;
	header = payload = NULL;
	len = strlen(token);
	if (len > TOKEN_MAX || strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_.") != len)
		return (TOKEN_MALFORMED);
	if ((dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL || dot2[1] == '\0')
		return (TOKEN_MALFORMED);

	ret = TOKEN_MALFORMED;
	if ((header = segment_json(token, dot1 - token)) == NULL ||
	    (payload = segment_json(dot1 + 1, dot2 - dot1 - 1)) == NULL)
		goto out;

	/* Which issuer: ours, or the trusted external one. */
	ret = TOKEN_INVALID;
	if (json_str(payload, "iss", 256, &s) == -1)
		goto out;
	if (strcmp(s, tc->local.name) == 0)
		iss = &tc->local;
	else if (tc->has_external && strcmp(s, tc->external.name) == 0)
		iss = &tc->external;
	else
		goto out;

	/* The issuer's algorithm and nothing else: no "none", no HS256
	 * keyed with a public key. */
	if (json_str(header, "alg", 16, &s) == -1 ||
	    strcmp(s, alg_names[iss->key.alg]) != 0)
		goto out;
	/*
	 * typ "JWT" (an external issuer may leave it out or write it in
	 * another case, as media types allow). RFC 9068's
	 * "at+jwt" cannot be taken: libjwt 1.10.2 refuses any other typ.
	 */
	v = cJSON_GetObjectItemCaseSensitive(header, "typ");
	if (iss->external) {
		if (v != NULL && (!cJSON_IsString(v) ||
		    strcasecmp(v->valuestring, "JWT") != 0))
			goto out;
	} else if (!cJSON_IsString(v) || strcmp(v->valuestring, "JWT") != 0) {
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(header, "crit") != NULL)
		goto out;
	/* Our kid must be ours; an external issuer names its one pinned
	 * key as it likes, so its kid decides nothing. */
	v = cJSON_GetObjectItemCaseSensitive(header, "kid");
	if (!iss->external) {
		if (v != NULL && (iss->key.kid[0] == '\0' ||
		    !cJSON_IsString(v) ||
		    strcmp(v->valuestring, iss->key.kid) != 0))
			goto out;
		if (v == NULL && iss->key.alg != CONFIG_JWT_HS256)
			goto out;
	}

	if (jwt_decode(&jwt, token, iss->key.verify_key,
	    (int)iss->key.verify_len) != 0)
		goto out;
	if (jwt_get_alg(jwt) != (iss->key.alg == CONFIG_JWT_HS256 ?
	    JWT_ALG_HS256 : iss->key.alg == CONFIG_JWT_RS256 ?
	    JWT_ALG_RS256 : JWT_ALG_ES256)) {
		jwt_free(jwt);
		goto out;
	}
	jwt_free(jwt);

	/* Signed by the issuer; now the claims, each with its JSON type. */
	if (!aud_ok(payload, iss->audience) ||
	    json_int(payload, "exp", 1, &exp) != 1 ||
	    json_int(payload, "iat", 1, &iat) != 1 ||
	    (has_nbf = json_int(payload, "nbf", 0, &nbf)) == -1 ||
	    json_str(payload, "jti", 128, &s) == -1)
		goto out;
	snprintf(c->jti, sizeof(c->jti), "%s", s);
	if (iat > now + TOKEN_LEEWAY || exp <= iat ||
	    exp - iat > iss->max_lifetime)
		goto out;
	if (exp + TOKEN_LEEWAY <= now) {
		ret = TOKEN_EXPIRED;
		goto out;
	}
	if (has_nbf && nbf > now + TOKEN_LEEWAY) {
		ret = TOKEN_NOT_YET_VALID;
		goto out;
	}

	if ((iss->external ? claims_external(iss, payload, c) :
	    claims_local(iss, payload, c)) == -1)
		goto out;
	c->external = iss->external;
	c->exp = exp;
	ret = TOKEN_OK;
out:
	cJSON_Delete(header);
	cJSON_Delete(payload);
	if (ret != TOKEN_OK) {
		memset(c, 0, sizeof(*c));
		c->role = -1;
	}

	return (ret);
}

/*
 * Whether a presented secret equals the configured one (the metrics
 * token), in a time that tells nothing about where they differ or how
 * long the configured one is: both are hashed first, and the hashes
 * compared in constant time.
 */
int
token_secret_equal(const char *presented, const char *secret)
{
	unsigned char	a[crypto_generichash_BYTES];
	unsigned char	b[crypto_generichash_BYTES];

	crypto_generichash(a, sizeof(a), (const unsigned char *)presented,
	    strlen(presented), NULL, 0);
	crypto_generichash(b, sizeof(b), (const unsigned char *)secret,
	    strlen(secret), NULL, 0);

	return (sodium_memcmp(a, b, sizeof(a)) == 0);
}
