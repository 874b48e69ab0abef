/*
 * Signing in and out: POST /v1/auth/token, /v1/auth/refresh,
 * /v1/auth/logout, and our public keys at /.well-known/jwks.json.
 * Tokens are issued and checked here, in C; the request bodies are
 * checked against the contract like every other (resource_body()).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "ch.h"

#define REFRESH_TTL		(14 * 24 * 3600)	/* seconds */
#define REFRESH_BYTES		32
#define REFRESH_CHARS		43	/* base64url of 32 bytes */

/*
 * Counts the attempt for the address and the client address before the
 * password is checked (db/migrations/0008_signin_throttle.sql): an
 * attempt beyond a limit comes back with retry_after and is not hashed.
 */
#define SQL_LOGIN_BEGIN \
	"SELECT retry_after, attempt, user_id, password_hash "              \
	"FROM ch.login_begin($1, $2::inet)"

#define SQL_LOGIN_ABANDONED \
	"SELECT ch.login_abandoned($1, $2::inet, $3::int)"

#define SQL_LOGIN_SUCCEEDED \
	"SELECT family_id, role, coalesce(district_id, '') "                 \
	"FROM ch.login_succeeded($1::uuid, $2::inet, $3::int, "              \
	"decode($4, 'hex'), $5::int, $6)"

#define SQL_REFRESH_ROTATE \
	"SELECT outcome, user_id, family_id, role, coalesce(district_id, '') " \
	"FROM ch.refresh_rotate(decode($1, 'hex'), decode($2, 'hex'), "       \
	"$3::int, $4)"

#define SQL_LOGOUT \
	"SELECT ch.logout(decode($1, 'hex'), $2)"

/* A login or refresh in flight; wiped when the request ends. */
struct session {
	char	email[255];
	char	password[PASSWORD_MAX_BYTES + 1];
	char	user_id[37];
	char	refresh[REFRESH_CHARS + 1];
	char	refresh_hash[65];
	char	client[CONFIG_ADDR_MAX];	/* "" when unknown */
	char	attempt[16];			/* its number in a row */
};

static void	session_free(void *);
static struct session *session_new(struct api_ctx *);
static void	refresh_new(struct session *);
static void	refresh_hash(const char *, char *);
static int	client_address(struct http_request *, char *, size_t);
static const char *session_client(struct session *);
static int	session_respond(struct http_request *, struct api_ctx *,
		    const char *, const char *, const char *, const char *,
		    const char *);
static int	bad_credentials(struct http_request *, struct api_ctx *);
static const char *body_string(const cJSON *, const char *);
static int	refresh_token_body(struct http_request *, struct api_ctx *,
		    char *, size_t);
static int	login_begun(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	login_checked(struct http_request *, struct api_ctx *, int,
		    const char *);
static int	login_abandoned(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	login_failed_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	login_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	refresh_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	logout_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

static void
session_free(void *p)
{
	sodium_memzero(p, sizeof(struct session));
	kore_free(p);
}

static struct session *
session_new(struct api_ctx *ctx)
{
	struct session	*s;

	s = kore_calloc(1, sizeof(*s));
	ctx->data = s;
	ctx->data_free = session_free;

	return (s);
}

/* A fresh refresh token and the hash that is all the database keeps. */
static void
refresh_new(struct session *s)
{
	unsigned char	rnd[REFRESH_BYTES];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2base64(s->refresh, sizeof(s->refresh), rnd, sizeof(rnd),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
	refresh_hash(s->refresh, s->refresh_hash);
}

static void
refresh_hash(const char *token, char *hex)
{
	unsigned char	digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)token,
	    strlen(token));
	sodium_bin2hex(hex, 65, digest, sizeof(digest));
}

/*
 * The address a sign-in is counted under: the peer, or the client a
 * trusted proxy names in X-Forwarded-For (config_client_address). Every
 * X-Forwarded-For line is read, in order, as if joined by commas, so a
 * client cannot hide behind a line of its own. Returns -1 when the peer
 * has no IP address.
 */
static int
client_address(struct http_request *req, char *out, size_t outlen)
{
	struct http_header	*hdr;
	struct kore_buf		 buf;
	char			 peer[CONFIG_ADDR_MAX];
	int			 ret;

	if (api_peer_address(req, peer, sizeof(peer)) == -1)
		return (-1);

	kore_buf_init(&buf, 128);
	TAILQ_FOREACH(hdr, &req->req_headers, list) {
		if (strcasecmp(hdr->header, "x-forwarded-for") != 0)
			continue;
		if (buf.offset > 0)
			kore_buf_append(&buf, ",", 1);
		kore_buf_append(&buf, hdr->value, strlen(hdr->value));
	}
	ret = config_client_address(&api_config, peer, buf.offset > 0 ?
	    kore_buf_stringify(&buf, NULL) : NULL, out, outlen);
	kore_buf_cleanup(&buf);

	return (ret);
}

/* The client address as a query parameter; NULL when the peer had none
 * (the database then applies no client limit). */
static const char *
session_client(struct session *s)
{
	return (s->client[0] != '\0' ? s->client : NULL);
}

/* 200 with a new access token for the session and its refresh token. */
static int
session_respond(struct http_request *req, struct api_ctx *ctx,
    const char *user_id, const char *family, const char *role,
    const char *district, const char *refresh)
{
	struct token_claims	 c;
	struct kore_buf		 buf;
	char			*token;
	int			 ret;

	memset(&c, 0, sizeof(c));
	kore_strlcpy(c.sub, user_id, sizeof(c.sub));
	kore_strlcpy(c.sid, family, sizeof(c.sid));
	kore_strlcpy(c.district, district, sizeof(c.district));
	if ((c.role = role_parse(role)) == -1 ||
	    (token = token_sign(&auth_tokens, &c, time(NULL))) == NULL) {
		return (api_problem(req, ctx, 500, "internal-error",
		    "The access token could not be signed."));
	}

	kore_buf_init(&buf, 1024);
	kore_buf_appendf(&buf, "{\"access_token\":\"%s\",\"token_type\":"
	    "\"Bearer\",\"expires_in\":%d,\"refresh_token\":\"%s\","
	    "\"refresh_expires_in\":%d}", token, TOKEN_ACCESS_TTL, refresh,
	    REFRESH_TTL);
	free(token);
	ret = api_json(req, ctx, 200, buf.data, buf.offset);
	sodium_memzero(buf.data, buf.offset);
	kore_buf_cleanup(&buf);

	return (ret);
}

/* The same answer for an unknown address, a wrong password and a
 * disabled account. */
static int
bad_credentials(struct http_request *req, struct api_ctx *ctx)
{
	return (auth_unauthenticated(req, ctx, "invalid_grant",
	    "The email address or the password is wrong."));
}

/* A member the contract check made a present string. */
static const char *
body_string(const cJSON *body, const char *name)
{
	return (cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body,
	    name)));
}

int
sessions_token(struct http_request *req, struct api_ctx *ctx)
{
	struct session		*s;
	cJSON			*body;
	char			*password;

	if (resource_body(req, ctx, &body) != KORE_RESULT_OK)
		return (API_DONE);

	s = session_new(ctx);
	kore_strlcpy(s->email, body_string(body, "email"), sizeof(s->email));
	password = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body,
	    "password"));
	kore_strlcpy(s->password, password, sizeof(s->password));
	sodium_memzero(password, strlen(password));
	cJSON_Delete(body);
	if (client_address(req, s->client, sizeof(s->client)) == -1)
		s->client[0] = '\0';

	return (db_query(req, ctx, SQL_LOGIN_BEGIN, login_begun, 2, s->email,
	    session_client(s)));
}

static int
login_begun(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	struct session	*s = ctx->data;
	const char	*hash;

	if (kore_pgsql_ntuples(sql) != 1)
		return (api_problem(req, ctx, 500, "internal-error",
		    "The sign-in could not be checked."));
	if (strcmp(kore_pgsql_getvalue(sql, 0, 0), "0") != 0)
		return (auth_throttled(req, ctx, kore_pgsql_getvalue(sql, 0, 0)));
	kore_strlcpy(s->attempt, kore_pgsql_getvalue(sql, 0, 1),
	    sizeof(s->attempt));

	/* Counted, but no thread to check it: take the attempt back. */
	if (password_signin_reserve(ctx) != KORE_RESULT_OK) {
		sodium_memzero(s->password, sizeof(s->password));
		return (db_query(req, ctx, SQL_LOGIN_ABANDONED, login_abandoned,
		    3, s->email, session_client(s), s->attempt));
	}

	hash = NULL;
	if (!PQgetisnull(sql->result, 0, 2)) {
		kore_strlcpy(s->user_id, kore_pgsql_getvalue(sql, 0, 2),
		    sizeof(s->user_id));
		hash = kore_pgsql_getvalue(sql, 0, 3);
	}

	return (password_verify(req, ctx, s->password, hash, login_checked));
}

static int
login_abandoned(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	(void)sql;
	return (api_problem(req, ctx, 503, "busy",
	    "Too many sign-ins are being checked right now; retry in a "
	    "moment."));
}

static int
login_checked(struct http_request *req, struct api_ctx *ctx, int result,
    const char *unused)
{
	struct session	*s = ctx->data;
	char		 ttl[16];

	(void)unused;
	sodium_memzero(s->password, sizeof(s->password));
	if (result != 0 || s->user_id[0] == '\0') {
		return (auth_login_failed(req, ctx, s->email,
		    s->user_id[0] ? s->user_id : NULL, login_failed_done));
	}

	refresh_new(s);
	(void)snprintf(ttl, sizeof(ttl), "%d", REFRESH_TTL);

	return (db_query(req, ctx, SQL_LOGIN_SUCCEEDED, login_done, 6,
	    s->user_id, session_client(s), s->attempt, s->refresh_hash, ttl,
	    ctx->request_id));
}

static int
login_failed_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	(void)sql;
	return (bad_credentials(req, ctx));
}

static int
login_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	struct session	*s = ctx->data;

	/* Disabled between the two steps. */
	if (kore_pgsql_ntuples(sql) != 1)
		return (bad_credentials(req, ctx));

	return (session_respond(req, ctx, s->user_id,
	    kore_pgsql_getvalue(sql, 0, 0), kore_pgsql_getvalue(sql, 0, 1),
	    kore_pgsql_getvalue(sql, 0, 2), s->refresh));
}

/*
 * Reads {"refresh_token": "..."} into out. Anything that is a string but
 * not one of our tokens is simply not found later (401). Returns
 * KORE_RESULT_OK, or KORE_RESULT_ERROR after answering.
 */
static int
refresh_token_body(struct http_request *req, struct api_ctx *ctx, char *out,
    size_t outlen)
{
	cJSON	*body;

	if (resource_body(req, ctx, &body) != KORE_RESULT_OK)
		return (KORE_RESULT_ERROR);
	kore_strlcpy(out, body_string(body, "refresh_token"), outlen);
	cJSON_Delete(body);

	return (KORE_RESULT_OK);
}

int
sessions_refresh(struct http_request *req, struct api_ctx *ctx)
{
	struct session	*s;
	char		 presented[257], hash[65], ttl[16];

	if (refresh_token_body(req, ctx, presented, sizeof(presented)) !=
	    KORE_RESULT_OK)
		return (API_DONE);

	s = session_new(ctx);
	refresh_hash(presented, hash);
	sodium_memzero(presented, sizeof(presented));
	refresh_new(s);
	(void)snprintf(ttl, sizeof(ttl), "%d", REFRESH_TTL);

	return (db_query(req, ctx, SQL_REFRESH_ROTATE, refresh_done, 4, hash,
	    s->refresh_hash, ttl, ctx->request_id));
}

static int
refresh_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	struct session	*s = ctx->data;
	const char	*outcome;

	outcome = kore_pgsql_ntuples(sql) == 1 ?
	    kore_pgsql_getvalue(sql, 0, 0) : "invalid";
	if (strcmp(outcome, "reused") == 0) {
		return (auth_unauthenticated(req, ctx, "invalid_grant",
		    "This refresh token was already used. Every session of "
		    "this sign-in has been ended; sign in again."));
	}
	if (strcmp(outcome, "ok") != 0) {
		return (auth_unauthenticated(req, ctx, "invalid_grant",
		    "The refresh token is unknown, expired or revoked; "
		    "sign in again."));
	}

	return (session_respond(req, ctx, kore_pgsql_getvalue(sql, 0, 1),
	    kore_pgsql_getvalue(sql, 0, 2), kore_pgsql_getvalue(sql, 0, 3),
	    kore_pgsql_getvalue(sql, 0, 4), s->refresh));
}

/* Ends the session the refresh token belongs to; 204 whether or not it
 * was still live, so the answer tells an attacker nothing. */
int
sessions_logout(struct http_request *req, struct api_ctx *ctx)
{
	char	presented[257], hash[65];

	if (refresh_token_body(req, ctx, presented, sizeof(presented)) !=
	    KORE_RESULT_OK)
		return (API_DONE);
	refresh_hash(presented, hash);
	sodium_memzero(presented, sizeof(presented));

	return (db_query(req, ctx, SQL_LOGOUT, logout_done, 2, hash,
	    ctx->request_id));
}

static int
logout_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	(void)sql;
	return (api_no_content(req, ctx, 204));
}

int
sessions_jwks(struct http_request *req, struct api_ctx *ctx)
{
	char	*body;
	int	 ret;

	if ((body = token_jwks(&auth_tokens)) == NULL)
		return (api_problem(req, ctx, 500, "internal-error",
		    "The key set could not be built."));
	ret = api_json(req, ctx, 200, body, strlen(body));
	free(body);

	return (ret);
}
