/* GET /v1/me and POST /v1/me/password: the caller's own account. */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "ch.h"

/* The current password is an attempt at the address like a sign-in's,
 * counted before it is checked (without a client limit). */
#define SQL_PASSWORD_BEGIN \
	"SELECT (ch.login_attempt(u.email, NULL)).retry_after, "             \
	"u.password_hash, u.email "                                          \
	"FROM ch.app_user u WHERE u.id = $1 AND NOT u.disabled"

#define SQL_PASSWORD_CHANGED \
	"SELECT ch.password_changed($1::uuid, $2, $3::uuid, $4)"

struct password_change {
	char	email[255];
	char	current[PASSWORD_MAX_BYTES + 1];
	char	next[PASSWORD_MAX_BYTES + 1];
};

static const char *const password_fields[] = {
	"current_password", "new_password", NULL
};

static void	change_free(void *);
static int	change_begun(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	change_checked(struct http_request *, struct api_ctx *, int,
		    const char *);
static int	change_refused(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	change_hashed(struct http_request *, struct api_ctx *, int,
		    const char *);
static int	change_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

int
me_get(struct http_request *req, struct api_ctx *ctx)
{
	struct principal	*who = &ctx->who;
	struct kore_buf		 buf;
	char			*issuer, *subject;
	int			 ret;

	issuer = codec_json_escape(who->external ?
	    auth_tokens.external.name : auth_tokens.local.name);
	subject = codec_json_escape(who->subject);
	if (issuer == NULL || subject == NULL) {
		free(issuer);
		free(subject);
		return (api_problem(req, ctx, 500, "internal-error",
		    "The answer could not be built."));
	}

	kore_buf_init(&buf, 512);
	kore_buf_appendf(&buf, "{\"source\":\"%s\",\"issuer\":%s,"
	    "\"subject\":%s,\"role\":\"%s\",\"district_id\":",
	    who->external ? "external" : "local", issuer, subject,
	    role_name(who->role));
	if (who->district[0] != '\0')
		kore_buf_appendf(&buf, "\"%s\"", who->district);
	else
		kore_buf_append(&buf, "null", 4);
	kore_buf_appendf(&buf, ",\"user\":%s}",
	    who->user_json != NULL ? who->user_json : "null");
	free(issuer);
	free(subject);

	ret = api_json(req, ctx, 200, buf.data, buf.offset);
	kore_buf_cleanup(&buf);

	return (ret);
}

static void
change_free(void *p)
{
	sodium_memzero(p, sizeof(struct password_change));
	kore_free(p);
}

int
me_password(struct http_request *req, struct api_ctx *ctx)
{
	struct password_change	*pc;
	struct api_errors	 e;
	cJSON			*body;
	const char		*current, *next;
	int			 bad;

	if (ctx->who.external) {
		return (api_problem(req, ctx, 403, "forbidden",
		    "Your password is managed by your organisation's "
		    "sign-in, not by this service."));
	}
	if (api_body_json(req, ctx, 0, &body) != KORE_RESULT_OK)
		return (API_DONE);

	bad = 0;
	api_errors_init(&e);
	api_body_unknown(&e, body, password_fields);
	current = api_body_string(&e, body, "current_password", 1,
	    PASSWORD_MAX_CHARS, &bad);
	next = api_body_string(&e, body, "new_password", PASSWORD_MIN_CHARS,
	    PASSWORD_MAX_CHARS, &bad);
	if (current == NULL && !bad)
		api_errors_add(&e, "/current_password", "required",
		    "current_password is required.");
	if (next == NULL && !bad)
		api_errors_add(&e, "/new_password", "required",
		    "new_password is required.");
	if (current != NULL && next != NULL && strcmp(current, next) == 0)
		api_errors_add(&e, "/new_password", "unchanged",
		    "The new password must differ from the current one.");
	if (e.count > 0) {
		cJSON_Delete(body);
		return (api_errors_answer(req, ctx, 422, &e,
		    "The password change is incomplete or invalid."));
	}
	api_errors_cleanup(&e);

	pc = kore_calloc(1, sizeof(*pc));
	ctx->data = pc;
	ctx->data_free = change_free;
	kore_strlcpy(pc->current, current, sizeof(pc->current));
	kore_strlcpy(pc->next, next, sizeof(pc->next));
	cJSON_Delete(body);

	return (db_query(req, ctx, SQL_PASSWORD_BEGIN, change_begun, 1,
	    ctx->who.user_id));
}

static int
change_begun(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	struct password_change	*pc = ctx->data;
	const char		*retry;

	if (kore_pgsql_ntuples(sql) != 1) {
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "The account is no longer active."));
	}
	retry = kore_pgsql_getvalue(sql, 0, 0);
	if (strcmp(retry, "0") != 0)
		return (auth_throttled(req, ctx, retry));
	kore_strlcpy(pc->email, kore_pgsql_getvalue(sql, 0, 2),
	    sizeof(pc->email));

	return (password_verify(req, ctx, pc->current,
	    kore_pgsql_getvalue(sql, 0, 1), change_checked));
}

static int
change_checked(struct http_request *req, struct api_ctx *ctx, int result,
    const char *unused)
{
	struct password_change	*pc = ctx->data;

	(void)unused;
	if (result != 0) {
		return (auth_login_failed(req, ctx, pc->email,
		    ctx->who.user_id, change_refused));
	}

	return (password_hash(req, ctx, pc->next, change_hashed));
}

static int
change_refused(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	(void)sql;
	return (api_problem_field(req, ctx, 422, "/current_password",
	    "mismatch", "The current password is wrong."));
}

static int
change_hashed(struct http_request *req, struct api_ctx *ctx, int result,
    const char *hash)
{
	if (result != 0) {
		return (api_problem(req, ctx, 503, "busy",
		    "The password could not be hashed right now; retry."));
	}

	return (db_query(req, ctx, SQL_PASSWORD_CHANGED, change_done, 4,
	    ctx->who.user_id, hash, ctx->who.sid, ctx->request_id));
}

static int
change_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	if (kore_pgsql_ntuples(sql) != 1 ||
	    strcmp(kore_pgsql_getvalue(sql, 0, 0), "t") != 0) {
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "The account is no longer active."));
	}

	return (api_no_content(req, ctx, 204));
}
