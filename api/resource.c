/*
 * The generic handlers: every route whose work is one SQL function call
 * (the data resources, the accounts, the caller's own account). The
 * contract drives them: openapi/openapi.yaml, compiled into the module,
 * says which path and query parameters a route takes and what its
 * request body looks like, and every request is checked against exactly
 * that before anything else happens. The route's SQL function does the
 * rest in one transaction: who may do what (the caller is its first
 * argument), If-Match, the rules that need data, the write, the audit
 * record. It refuses with ch.fail(status, message[, errors[, type]]).
 *
 * What cannot be done in SQL is a prepare step, the route table's one
 * place for C between the checks and the SQL call (struct route field
 * prepare, api_prepare in ch.h): it gets the checked body, may change
 * it and calls resource_send() when done. Hashing a password on a task
 * thread is one (password.c). Custom handlers (sign-in, tokens) check
 * their requests here too, with resource_params() and resource_body().
 *
 * Every field error uses the codes FieldError lists in the contract.
 *
 * SQL calling conventions ($n are the parameters):
 *	list	$1 caller, $2 filters (JSON), $3 $4 cursor keys, $5 rows,
 *		$6 parent id (sub-resources)
 *	get	$1 caller, $2 id (NULL without one)[, $3 second path
 *		parameter]
 *	create	$1 caller, $2 Idempotency-Key, $3 request hash, $4 body,
 *		$5 parent id (sub-resources)
 *	update	$1 caller, $2 id, $3 If-Match versions, $4 merge patch
 *		(or whole body, PUT)[, $5 second path parameter]
 *	delete	$1 caller, $2 id[, $3 second path parameter], If-Match last
 * Results of get/create/update/delete are ch.result rows: version (ETag),
 * location (201), body, replayed (Idempotency-Key).
 */

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "ch.h"

#define IDEMPOTENCY_KEY_MAX	255

static cJSON	*spec;

static char	*json_text(const cJSON *);
static const cJSON *spec_operation(const char *, const char *);
static void	spec_parameter_lists(const char *, const cJSON *,
		    const cJSON *[2]);
static const cJSON *spec_parameter(const char *, const cJSON *,
		    const char *, const char *);
static int	params_check(struct http_request *, struct api_ctx *,
		    const cJSON *, cJSON *);
static void	param_check(struct api_ctx *, const cJSON *, cJSON *,
		    struct api_errors *);
static cJSON	*query_value(const cJSON *, const char *);
static void	errors_cb(void *, const char *, const char *, const char *);
static int	body_check(struct http_request *, struct api_ctx *,
		    const cJSON *, int, cJSON **);
static void	call_keep(struct http_request *, struct api_ctx *, cJSON *);
static int	idempotency(struct http_request *, struct api_ctx *,
		    const cJSON *);
static int	if_match(struct http_request *, struct api_ctx *, int);
static int	call_next(struct http_request *, struct api_ctx *);
static int	list_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

/* A JSON value as text in Kore's memory. */
static char *
json_text(const cJSON *v)
{
	char	*s, *copy;

	if ((s = cJSON_PrintUnformatted(v)) == NULL)
		fatal("json_text: out of memory");
	copy = kore_strdup(s);
	cJSON_free(s);

	return (copy);
}

/* The contract, parsed once per worker. */
const cJSON *
resource_spec(void)
{
	if (spec == NULL)
		spec = cJSON_ParseWithLength((const char *)openapi_json,
		    openapi_json_len);
	return (spec);
}

static const cJSON *
spec_operation(const char *method, const char *pattern)
{
	const cJSON	*paths;

	paths = cJSON_GetObjectItemCaseSensitive(resource_spec(), "paths");
	return (cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(paths, pattern), method));
}

/*
 * The parameter lists that apply to an operation: its own and those of
 * its path (OpenAPI lets either hold them).
 */
static void
spec_parameter_lists(const char *pattern, const cJSON *op,
    const cJSON *lists[2])
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(resource_spec(), "paths"), pattern);
	lists[0] = cJSON_GetObjectItemCaseSensitive(op, "parameters");
	lists[1] = cJSON_GetObjectItemCaseSensitive(item, "parameters");
}

/* The documented parameter of an operation with this name and place. */
static const cJSON *
spec_parameter(const char *pattern, const cJSON *op, const char *in,
    const char *name)
{
	const cJSON	*lists[2], *p, *q;
	int		 i;

	spec_parameter_lists(pattern, op, lists);
	for (i = 0; i < 2; i++) {
		cJSON_ArrayForEach(p, lists[i]) {
			q = schema_resolve(resource_spec(), p);
			if (q == NULL)
				continue;
			if (strcmp(cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(q, "in")) ?: "",
			    in) == 0 && strcmp(cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(q, "name")) ?: "",
			    name) == 0)
				return (q);
		}
	}

	return (NULL);
}

/*
 * A query value as the JSON value its schema describes: numbers and
 * booleans are parsed strictly, everything else stays a string. NULL
 * when it cannot be one (the schema check then reports the type).
 */
static cJSON *
query_value(const cJSON *schema, const char *s)
{
	const char	*type;
	char		*end;
	double		 d;

	type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(schema,
	    "type"));
	if (type == NULL)
		return (cJSON_CreateString(s));
	if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
		/* Digits as JSON writes them: strtod alone would also take
		 * "+5", " 5", "0x10" and "inf". */
		if (strlen(s) > 24 || strspn(s, "-.0123456789eE") !=
		    strlen(s) || !(*s == '-' || isdigit((unsigned char)*s)))
			return (cJSON_CreateString(s));
		d = strtod(s, &end);
		if (*end != '\0')
			return (cJSON_CreateString(s));
		return (cJSON_CreateNumber(d));
	}
	if (strcmp(type, "boolean") == 0) {
		if (strcmp(s, "true") == 0)
			return (cJSON_CreateTrue());
		if (strcmp(s, "false") == 0)
			return (cJSON_CreateFalse());
	}

	return (cJSON_CreateString(s));
}

static void
errors_cb(void *arg, const char *field, const char *code, const char *msg)
{
	api_errors_add(arg, field, code, msg);
}

/*
 * Checks the path and query parameters against the operation's
 * parameters: unknown query parameters, missing required ones and values
 * that break their schema are a 400 naming each. Filters (every query
 * parameter but limit and cursor) go into filters as typed JSON.
 */
static int
params_check(struct http_request *req, struct api_ctx *ctx, const cJSON *op,
    cJSON *filters)
{
	struct api_errors	 e;
	const cJSON		*lists[2], *entry;
	int			 i;

	api_errors_init(&e);
	for (i = 0; i < ctx->query.count; i++) {
		if (spec_parameter(ctx->pattern, op, "query",
		    ctx->query.args[i].name) == NULL)
			api_errors_add(&e, ctx->query.args[i].name,
			    "unknown_parameter",
			    "is not a parameter of this route.");
	}
	spec_parameter_lists(ctx->pattern, op, lists);
	for (i = 0; i < 2; i++) {
		cJSON_ArrayForEach(entry, lists[i])
			param_check(ctx, entry, filters, &e);
	}

	if (e.count > 0) {
		api_errors_answer(req, ctx, 400, &e,
		    "Some parameters are unknown or invalid.");
		return (KORE_RESULT_ERROR);
	}
	api_errors_cleanup(&e);

	return (KORE_RESULT_OK);
}

/* Checks one documented path or query parameter (see params_check). */
static void
param_check(struct api_ctx *ctx, const cJSON *entry, cJSON *filters,
    struct api_errors *e)
{
	const cJSON	*p, *schema;
	cJSON		*v;
	const char	*name, *in, *value, *tp;
	char		 tname[48];
	int		 n;

	if ((p = schema_resolve(resource_spec(), entry)) == NULL)
		return;
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p,
	    "name"));
	in = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "in"));
	if (name == NULL || in == NULL)
		return;
	value = NULL;
	if (strcmp(in, "query") == 0) {
		value = codec_query_get(&ctx->query, name);
	} else if (strcmp(in, "path") == 0) {
		/* The n-th {name} of the template is params[n]. */
		(void)snprintf(tname, sizeof(tname), "{%s}", name);
		n = 0;
		for (tp = ctx->pattern; (tp = strchr(tp, '{')) != NULL; tp++) {
			if (strncmp(tp, tname, strlen(tname)) == 0)
				break;
			n++;
		}
		if (tp != NULL && n < ROUTE_PARAMS_MAX)
			value = ctx->params[n];
	} else {
		return;
	}
	if (value == NULL) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p,
		    "required")))
			api_errors_add(e, name, "required", "is required.");
		return;
	}

	schema = schema_resolve(resource_spec(),
	    cJSON_GetObjectItemCaseSensitive(p, "schema"));
	v = query_value(schema, value);
	if (schema_validate(resource_spec(), schema, v, name, errors_cb,
	    e) == 0 && filters != NULL && strcmp(in, "query") == 0 &&
	    strcmp(name, "limit") != 0 && strcmp(name, "cursor") != 0) {
		cJSON_AddItemToObject(filters, name, v);
		v = NULL;
	}
	cJSON_Delete(v);
}

/*
 * Reads the JSON body (api_body_json: media type, UTF-8, nesting) and
 * checks it against the operation's request body schema: 422 with every
 * field error. On success *out is the body (the caller frees it with
 * cJSON_Delete).
 */
static int
body_check(struct http_request *req, struct api_ctx *ctx, const cJSON *op,
    int merge_patch, cJSON **out)
{
	struct api_errors	 e;
	const cJSON		*content, *schema;
	cJSON			*body;

	*out = NULL;
	if (api_body_json(req, ctx, merge_patch, &body) != KORE_RESULT_OK)
		return (KORE_RESULT_ERROR);

	content = cJSON_GetObjectItemCaseSensitive(schema_resolve(
	    resource_spec(), cJSON_GetObjectItemCaseSensitive(op,
	    "requestBody")), "content");
	schema = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    content, merge_patch ? "application/merge-patch+json" :
	    "application/json"), "schema");
	if (schema == NULL && merge_patch) {
		schema = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(content,
		    "application/json"), "schema");
	}
	if (schema == NULL) {
		cJSON_Delete(body);
		api_problem(req, ctx, 500, "internal-error",
		    "The contract has no body for this route.");
		return (KORE_RESULT_ERROR);
	}

	api_errors_init(&e);
	(void)schema_validate(resource_spec(), schema, body, "", errors_cb,
	    &e);
	if (e.count > 0) {
		cJSON_Delete(body);
		api_errors_answer(req, ctx, 422, &e,
		    "The request body does not match the contract.");
		return (KORE_RESULT_ERROR);
	}
	api_errors_cleanup(&e);
	*out = body;

	return (KORE_RESULT_OK);
}

/*
 * Keeps the checked body for the SQL call: as sent (text), and parsed
 * when the route has a prepare step to hand it to.
 */
static void
call_keep(struct http_request *req, struct api_ctx *ctx, cJSON *body)
{
	struct resource_call	*c = &ctx->call;

	c->len = req->http_body_length;
	c->text = kore_malloc(c->len + 1);
	memcpy(c->text, req->http_body->data, c->len);
	c->text[c->len] = '\0';
	if (ctx->prepare != NULL)
		c->body = body;
	else
		cJSON_Delete(body);
}

/* The caller as the SQL functions take it (ch.enter). */
const char *
resource_who(struct api_ctx *ctx)
{
	struct principal	*w = &ctx->who;
	cJSON			*o;

	if (w->json != NULL)
		return (w->json);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "role", role_name(w->role));
	if (w->district[0] != '\0')
		cJSON_AddStringToObject(o, "district", w->district);
	if (w->user_id[0] != '\0')
		cJSON_AddStringToObject(o, "user", w->user_id);
	if (w->organization[0] != '\0')
		cJSON_AddStringToObject(o, "organization", w->organization);
	if (w->participant[0] != '\0')
		cJSON_AddStringToObject(o, "participant", w->participant);
	if (w->sid[0] != '\0')
		cJSON_AddStringToObject(o, "session", w->sid);
	cJSON_AddBoolToObject(o, "external", w->external);
	cJSON_AddStringToObject(o, "issuer", w->issuer);
	cJSON_AddStringToObject(o, "subject", w->subject);
	cJSON_AddStringToObject(o, "actor", w->actor);
	cJSON_AddStringToObject(o, "request", ctx->request_id);
	w->json = json_text(o);
	cJSON_Delete(o);

	return (w->json);
}

/*
 * Idempotency-Key, where the operation documents it: 1 to 255 visible
 * ASCII characters. The hash identifies the request (path and body as
 * sent), so a reused key with another request is told apart; it is
 * stored, so routes whose bodies carry a password do not take a key.
 */
static int
idempotency(struct http_request *req, struct api_ctx *ctx, const cJSON *op)
{
	struct resource_call		*c = &ctx->call;
	crypto_hash_sha256_state	 st;
	unsigned char			 md[crypto_hash_sha256_BYTES];
	const char			*k, *p;

	c->key = NULL;
	if (spec_parameter(ctx->pattern, op, "header",
	    "Idempotency-Key") == NULL ||
	    !http_request_header(req, "idempotency-key", &k))
		return (KORE_RESULT_OK);
	for (p = k; *p > 0x20 && *p < 0x7f; p++)
		;
	if (*p != '\0' || p == k || p - k > IDEMPOTENCY_KEY_MAX) {
		api_problem_field(req, ctx, 400, "Idempotency-Key", "format",
		    "Idempotency-Key must be 1 to 255 visible ASCII "
		    "characters.");
		return (KORE_RESULT_ERROR);
	}
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)req->path,
	    strlen(req->path) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)c->text, c->len);
	crypto_hash_sha256_final(&st, md);
	sodium_bin2hex(c->hash, sizeof(c->hash), md, sizeof(md));
	c->key = k;

	return (KORE_RESULT_OK);
}

/*
 * The one If-Match parser: the header as a PostgreSQL integer array of
 * the versions it names into ctx->call.versions, {-1} for "*" (any
 * current version, see ch.if_match_ok), or "" (SQL NULL) where it is
 * optional and not sent. The route's SQL function compares. Weak and
 * foreign tags can never match (strong comparison, RFC 9110).
 */
static int
if_match(struct http_request *req, struct api_ctx *ctx, int required)
{
	char		*out = ctx->call.versions;
	size_t		 outlen = sizeof(ctx->call.versions);
	const char	*h, *p;
	size_t		 n, used;

	out[0] = '\0';
	if (!http_request_header(req, "if-match", &h)) {
		if (!required)
			return (KORE_RESULT_OK);
		api_problem(req, ctx, 428, "precondition-required",
		    "Send If-Match with the ETag you last read, so that a "
		    "concurrent change is not overwritten.");
		return (KORE_RESULT_ERROR);
	}
	used = (size_t)snprintf(out, outlen, "{");
	for (p = h; *p != '\0'; p += n) {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 1 && *p == '*') {
			(void)snprintf(out, outlen, "{-1}");
			return (KORE_RESULT_OK);
		}
		/* Our tags are "<version>", version >= 1 without leading
		 * zeros: anything else differs character by character. */
		if (n < 3 || n > 11 || p[0] != '"' || p[n - 1] != '"' ||
		    p[1] == '0' || strspn(p + 1, "0123456789") != n - 2 ||
		    used + n + 1 >= outlen)
			continue;
		used += (size_t)snprintf(out + used, outlen - used, "%s%.*s",
		    used > 1 ? "," : "", (int)(n - 2), p + 1);
	}
	(void)snprintf(out + used, outlen - used, "}");

	return (KORE_RESULT_OK);
}

/*
 * Answers a ch.result row: 201 with its location (202 on a route that
 * queues work), 200 with a body, 204 without.
 */
int
resource_result(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	const char	*location;

	if (kore_pgsql_ntuples(sql) != 1) {
		return (api_problem(req, ctx, 500, "internal-error",
		    "An unexpected error occurred; it was logged with the "
		    "request id."));
	}
	if (!PQgetisnull(sql->result, 0, 0))
		api_etag(req, kore_pgsql_getvalue(sql, 0, 0));
	if (strcmp(kore_pgsql_getvalue(sql, 0, 3), "t") == 0)
		http_response_header(req, "idempotent-replayed", "true");
	if (PQgetisnull(sql->result, 0, 2))
		return (api_no_content(req, ctx, 204));
	if (!PQgetisnull(sql->result, 0, 1)) {
		location = kore_pgsql_getvalue(sql, 0, 1);
		http_response_header(req, "location", location);
		return (api_json(req, ctx,
		    (ctx->route_flags & ROUTE_ACCEPTED) ? 202 : 201,
		    kore_pgsql_getvalue(sql, 0, 2),
		    kore_pgsql_getlength(sql, 0, 2)));
	}

	return (api_json(req, ctx, 200, kore_pgsql_getvalue(sql, 0, 2),
	    kore_pgsql_getlength(sql, 0, 2)));
}

/*
 * A list's cursors belong to its path and order: by distance with near,
 * by rank on a ranked route, by a text on a route ordered so (accounts
 * by address), else by time of change. Their first key is a distance, a
 * rank, a text or a timestamp.
 */
static const char *
list_kind(struct api_ctx *ctx, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s%s", ctx->pattern,
	    codec_query_get(&ctx->query, "near") != NULL ? "?near" : "");
	return (buf);
}

static int
cursor_key_ok(struct api_ctx *ctx, const char *key)
{
	char	*end;
	double	 d;

	if (ctx->route_flags & ROUTE_RANKED)
		return (key[0] >= '1' && key[0] <= '9' && strlen(key) <= 9 &&
		    strspn(key, "0123456789") == strlen(key));
	if (ctx->route_flags & ROUTE_BY_TEXT)
		return (1);	/* any text compares */
	if (codec_query_get(&ctx->query, "near") == NULL)
		return (schema_format_ok("date-time", key));
	d = strtod(key, &end);
	return (*key != '\0' && *end == '\0' && isfinite(d) && d >= 0);
}

static int
list_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	char	kind[80];

	return (api_page(req, ctx, sql, list_kind(ctx, kind, sizeof(kind)),
	    2));
}

/* Checks a route's path and query parameters only (custom handlers). */
int
resource_params(struct http_request *req, struct api_ctx *ctx,
    const char *method)
{
	return (params_check(req, ctx, spec_operation(method, ctx->pattern),
	    NULL));
}

/*
 * Checks a custom handler's POST as the generic handlers check theirs:
 * parameters and body. *body is the checked body, to be freed with
 * cJSON_Delete.
 */
int
resource_body(struct http_request *req, struct api_ctx *ctx, cJSON **body)
{
	const cJSON	*op;

	*body = NULL;
	op = spec_operation("post", ctx->pattern);
	if (params_check(req, ctx, op, NULL) != KORE_RESULT_OK)
		return (KORE_RESULT_ERROR);

	return (body_check(req, ctx, op, 0, body));
}

int
resource_list(struct http_request *req, struct api_ctx *ctx)
{
	const cJSON	*op;
	cJSON		*filters;
	char		*after[2], *text, kind[80];
	int		 present, ret;

	op = spec_operation("get", ctx->pattern);
	filters = cJSON_CreateObject();
	if (params_check(req, ctx, op, filters) != KORE_RESULT_OK ||
	    api_query_limit(req, ctx) != KORE_RESULT_OK ||
	    api_query_cursor(req, ctx, list_kind(ctx, kind, sizeof(kind)),
	    after, 2, &present) != KORE_RESULT_OK) {
		cJSON_Delete(filters);
		return (API_DONE);
	}
	if (present && (!codec_is_uuid(after[1]) ||
	    !cursor_key_ok(ctx, after[0]))) {
		codec_cursor_free(after, 2);
		cJSON_Delete(filters);
		return (api_problem_field(req, ctx, 400, "cursor", "invalid",
		    "cursor is not a value this list returned."));
	}
	text = json_text(filters);
	cJSON_Delete(filters);

	ret = db_query(req, ctx, ctx->sql, list_done,
	    strstr(ctx->pattern, "{") != NULL ? 6 : 5, resource_who(ctx), text,
	    present ? after[0] : NULL, present ? after[1] : NULL, ctx->fetch,
	    ctx->params[0]);
	codec_cursor_free(after, 2);
	kore_free(text);

	return (ret);
}

int
resource_get(struct http_request *req, struct api_ctx *ctx)
{
	if (params_check(req, ctx, spec_operation("get", ctx->pattern),
	    NULL) != KORE_RESULT_OK)
		return (API_DONE);

	return (db_query(req, ctx, ctx->sql, resource_result,
	    ctx->params[1] != NULL ? 3 : 2, resource_who(ctx), ctx->params[0],
	    ctx->params[1]));
}

int
resource_create(struct http_request *req, struct api_ctx *ctx)
{
	const cJSON	*op;
	cJSON		*body;

	op = spec_operation("post", ctx->pattern);
	if (params_check(req, ctx, op, NULL) != KORE_RESULT_OK ||
	    body_check(req, ctx, op, 0, &body) != KORE_RESULT_OK)
		return (API_DONE);
	call_keep(req, ctx, body);
	if (idempotency(req, ctx, op) != KORE_RESULT_OK)
		return (API_DONE);

	return (call_next(req, ctx));
}

/*
 * PATCH (a merge patch; If-Match required) and PUT (a whole singleton
 * sub-resource, created or replaced; If-Match honoured) share the SQL
 * convention of updates.
 */
int
resource_update(struct http_request *req, struct api_ctx *ctx)
{
	const cJSON	*op;
	cJSON		*body;
	int		 patch;

	patch = req->method == HTTP_METHOD_PATCH;
	op = spec_operation(patch ? "patch" : "put", ctx->pattern);
	if (params_check(req, ctx, op, NULL) != KORE_RESULT_OK ||
	    body_check(req, ctx, op, patch, &body) != KORE_RESULT_OK)
		return (API_DONE);
	call_keep(req, ctx, body);
	if (if_match(req, ctx, patch) != KORE_RESULT_OK)
		return (API_DONE);

	return (call_next(req, ctx));
}

/* The checked request goes to the route's prepare step, if any, or SQL. */
static int
call_next(struct http_request *req, struct api_ctx *ctx)
{
	if (ctx->prepare != NULL)
		return (ctx->prepare(req, ctx, ctx->call.body));

	return (resource_send(req, ctx));
}

/*
 * Runs the route's SQL function for a checked create or update, with
 * the body as sent or as a prepare step left it in ctx->call.body.
 */
int
resource_send(struct http_request *req, struct api_ctx *ctx)
{
	struct resource_call	*c = &ctx->call;
	char			*text;
	int			 ret;

	text = c->body != NULL ? json_text(c->body) : NULL;
	if (req->method == HTTP_METHOD_POST) {
		ret = db_query(req, ctx, ctx->sql, resource_result,
		    ctx->params[0] != NULL ? 5 : 4, resource_who(ctx), c->key,
		    c->key != NULL ? c->hash : NULL, text ? text : c->text,
		    ctx->params[0]);
	} else {
		ret = db_query(req, ctx, ctx->sql, resource_result,
		    ctx->params[1] != NULL ? 5 : 4, resource_who(ctx),
		    ctx->params[0], c->versions[0] != '\0' ? c->versions : NULL,
		    text ? text : c->text, ctx->params[1]);
	}
	kore_free(text);

	return (ret);
}

/* Zeroes every string of a JSON value, before it is freed. */
static void
json_wipe(cJSON *v)
{
	cJSON	*item;

	if (cJSON_IsString(v) && v->valuestring != NULL)
		sodium_memzero(v->valuestring, strlen(v->valuestring));
	cJSON_ArrayForEach(item, v)
		json_wipe(item);
}

/*
 * From the request's free hook; the body may hold a password, whether
 * the request got as far as hashing it or was refused before.
 */
void
resource_release(struct api_ctx *ctx)
{
	struct resource_call	*c = &ctx->call;

	if (c->text != NULL) {
		sodium_memzero(c->text, c->len);
		kore_free(c->text);
		c->text = NULL;
	}
	json_wipe(c->body);
	cJSON_Delete(c->body);
	c->body = NULL;
}

int
resource_delete(struct http_request *req, struct api_ctx *ctx)
{
	const char	*versions = ctx->call.versions;

	if (params_check(req, ctx, spec_operation("delete", ctx->pattern),
	    NULL) != KORE_RESULT_OK || if_match(req, ctx, 0) != KORE_RESULT_OK)
		return (API_DONE);

	if (ctx->params[1] != NULL) {
		return (db_query(req, ctx, ctx->sql, resource_result, 3,
		    resource_who(ctx), ctx->params[0], ctx->params[1]));
	}

	return (db_query(req, ctx, ctx->sql, resource_result, 3, resource_who(ctx),
	    ctx->params[0], versions[0] != '\0' ? versions : NULL));
}
