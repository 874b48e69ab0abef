/*
 * Who is calling and what may they do: the bearer token, the account
 * behind it, and the route's role rule. The router runs this for every
 * route that names roles, so no handler can forget it.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ch.h"

#define AUTH_REALM	"connecting-humans"

/*
 * The account and session behind a token of ours, as they are now: a
 * disabled account, an ended session (logout, password change, stolen
 * refresh token) or a changed role stops the token at once.
 */
#define SQL_PRINCIPAL \
	"SELECT u.role, coalesce(u.district_id, ''), "                       \
	"coalesce(u.organization_id::text, ''), "                            \
	"coalesce(u.participant_id::text, '') "                              \
	"FROM ch.app_user u JOIN ch.token_family f ON f.user_id = u.id "     \
	"WHERE u.id = $1 AND f.id = $2 AND NOT u.disabled "                  \
	"AND f.revoked_at IS NULL"

#define SQL_DISTRICT_EXISTS \
	"SELECT 1 FROM ch.district WHERE id = $1"

/* Audits a wrong password; the attempt was counted when it began. */
#define SQL_LOGIN_FAILED \
	"SELECT ch.login_failed($1, $2::uuid, $3)"

struct token_config	auth_tokens;

static int	auth_principal_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	auth_district_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

int
auth_init(char *err, size_t errlen)
{
	if (token_setup(&auth_tokens, &api_config, err, errlen) == -1)
		return (-1);
	if (password_init() == -1) {
		snprintf(err, errlen, "cannot compute the dummy password hash");
		return (-1);
	}

	return (0);
}

/*
 * 401 with a WWW-Authenticate challenge (RFC 6750). error is NULL when
 * no credentials were sent, "invalid_token" for a bad access token and
 * "invalid_grant" for wrong sign-in credentials or refresh token (the
 * challenge then carries no error: the request had no bearer token).
 * detail goes into the header too, so it must not contain quotes.
 */
int
auth_unauthenticated(struct http_request *req, struct api_ctx *ctx,
    const char *error, const char *detail)
{
	const char	*type;
	char		 hdr[256];

	if (error != NULL && strcmp(error, "invalid_token") == 0) {
		type = "invalid-token";
		(void)snprintf(hdr, sizeof(hdr), "Bearer realm=\"%s\", "
		    "error=\"invalid_token\", error_description=\"%s\"",
		    AUTH_REALM, detail);
	} else {
		type = error == NULL ? "unauthenticated" :
		    "invalid-credentials";
		(void)snprintf(hdr, sizeof(hdr), "Bearer realm=\"%s\"",
		    AUTH_REALM);
	}
	http_response_header(req, "www-authenticate", hdr);

	return (api_problem(req, ctx, 401, type, detail));
}

/*
 * Authenticates the request and then runs the route through
 * router_run(). Returns what a handler returns.
 */
int
auth_begin(struct http_request *req, struct api_ctx *ctx)
{
	struct token_claims	 c;
	const char		*hdr, *token;

	if (!http_request_header(req, "authorization", &hdr)) {
		return (auth_unauthenticated(req, ctx, NULL,
		    "This resource needs an access token: "
		    "Authorization: Bearer <token>."));
	}
	if (strncasecmp(hdr, "bearer ", 7) != 0) {
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "Send the access token with the Bearer scheme."));
	}
	for (token = hdr + 7; *token == ' '; token++)
		;

	switch (token_verify(&auth_tokens, token, time(NULL), &c)) {
	case TOKEN_OK:
		break;
	case TOKEN_EXPIRED:
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "The access token has expired; refresh it."));
	case TOKEN_NOT_YET_VALID:
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "The access token is not valid yet."));
	case TOKEN_MALFORMED:
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "The access token is malformed."));
	default:
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "The access token is not valid."));
	}

	ctx->who.role = c.role;
	ctx->who.external = c.external;
	kore_strlcpy(ctx->who.district, c.district, sizeof(ctx->who.district));
	kore_strlcpy(ctx->who.sid, c.sid, sizeof(ctx->who.sid));
	ctx->who.issuer = c.external ? auth_tokens.external.name :
	    auth_tokens.local.name;
	if (c.external) {
		(void)snprintf(ctx->who.actor, sizeof(ctx->who.actor), "%s#%s",
		    auth_tokens.external.name, c.sub);
		kore_strlcpy(ctx->who.subject, c.sub, sizeof(ctx->who.subject));
		if (c.district[0] == '\0') {
			ctx->who.authenticated = 1;
			return (router_run(req, ctx));
		}
		return (db_query(req, ctx, SQL_DISTRICT_EXISTS,
		    auth_district_done, 1, c.district));
	}

	kore_strlcpy(ctx->who.user_id, c.sub, sizeof(ctx->who.user_id));
	kore_strlcpy(ctx->who.actor, c.sub, sizeof(ctx->who.actor));
	kore_strlcpy(ctx->who.subject, c.sub, sizeof(ctx->who.subject));

	return (db_query(req, ctx, SQL_PRINCIPAL, auth_principal_done, 2,
	    c.sub, c.sid));
}

static int
auth_principal_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	if (kore_pgsql_ntuples(sql) != 1 ||
	    role_parse(kore_pgsql_getvalue(sql, 0, 0)) != ctx->who.role ||
	    strcmp(kore_pgsql_getvalue(sql, 0, 1), ctx->who.district) != 0) {
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "The access token was revoked or is out of date; "
		    "sign in again."));
	}
	kore_strlcpy(ctx->who.organization, kore_pgsql_getvalue(sql, 0, 2),
	    sizeof(ctx->who.organization));
	kore_strlcpy(ctx->who.participant, kore_pgsql_getvalue(sql, 0, 3),
	    sizeof(ctx->who.participant));
	ctx->who.authenticated = 1;

	return (router_run(req, ctx));
}

static int
auth_district_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	if (kore_pgsql_ntuples(sql) != 1) {
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "The access token names an unknown district."));
	}
	ctx->who.authenticated = 1;

	return (router_run(req, ctx));
}

/*
 * Records a wrong password for email (user_id NULL when no account has
 * it) in the audit log; done answers afterwards.
 */
int
auth_login_failed(struct http_request *req, struct api_ctx *ctx,
    const char *email, const char *user_id, db_done_cb done)
{
	return (db_query(req, ctx, SQL_LOGIN_FAILED, done, 3, email, user_id,
	    ctx->request_id));
}

/*
 * 429 for an address locked after failed passwords, or a client address
 * with too many failed sign-ins.
 */
int
auth_throttled(struct http_request *req, struct api_ctx *ctx,
    const char *seconds)
{
	http_response_header(req, "retry-after", seconds);

	return (api_problem(req, ctx, 429, "too-many-attempts",
	    "Too many failed sign-ins for this address or from this network; "
	    "wait for the time in Retry-After."));
}

/*
 * The route's rule: is the caller's role among roles? Answers 403 and
 * returns KORE_RESULT_ERROR when not.
 */
int
auth_permit(struct http_request *req, struct api_ctx *ctx, unsigned roles)
{
	if (ctx->who.authenticated && (roles & ROLE_BIT(ctx->who.role)))
		return (KORE_RESULT_OK);

	api_problem(req, ctx, 403, "forbidden",
	    "Your role does not allow this.");

	return (KORE_RESULT_ERROR);
}

void
auth_release(struct api_ctx *ctx)
{
	kore_free(ctx->who.json);
	ctx->who.json = NULL;
}
