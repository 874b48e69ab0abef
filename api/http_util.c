/* Every response leaves through here: JSON, problem details, list pages. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"

static void	api_send(struct http_request *, struct api_ctx *, int,
		    const char *, const void *, size_t);
static const char *problem_title(int);
static int	api_problem_emit(struct http_request *, struct api_ctx *, int,
		    const char *, const char *, const char *);

static void
api_send(struct http_request *req, struct api_ctx *ctx, int status,
    const char *type, const void *body, size_t len)
{
	http_response_header(req, "x-request-id", ctx->request_id);
	http_response_header(req, "cache-control", "no-store");
	http_response_header(req, "x-content-type-options", "nosniff");
	if (type != NULL)
		http_response_header(req, "content-type", type);
	http_response(req, status, body, len);
}

static const char *
problem_title(int status)
{
	switch (status) {
	case 400:
		return ("Bad request");
	case 401:
		return ("Unauthenticated");
	case 403:
		return ("Forbidden");
	case 404:
		return ("Not found");
	case 405:
		return ("Method not allowed");
	case 409:
		return ("Conflict");
	case 413:
		return ("Payload too large");
	case 415:
		return ("Unsupported media type");
	case 422:
		return ("Unprocessable content");
	case 503:
		return ("Service unavailable");
	default:
		return ("Internal error");
	}
}

static int
api_problem_emit(struct http_request *req, struct api_ctx *ctx, int status,
    const char *type, const char *detail, const char *errors)
{
	char	*body;

	if (status == 503)
		http_response_header(req, "retry-after", "1");

	body = codec_problem_json(status, type, problem_title(status), detail,
	    req->path, ctx->request_id, errors);
	if (body == NULL) {
		api_send(req, ctx, 500, NULL, NULL, 0);
		return (API_DONE);
	}
	api_send(req, ctx, status, "application/problem+json", body,
	    strlen(body));
	free(body);

	return (API_DONE);
}

/*
 * The one way to answer with an error: an RFC 9457 problem document with
 * type urn:ch:problem:<type>, the request path as instance and the
 * request id. detail is shown to API users: never SQL or internals.
 */
int
api_problem(struct http_request *req, struct api_ctx *ctx, int status,
    const char *type, const char *detail)
{
	return (api_problem_emit(req, ctx, status, type, detail, NULL));
}

/* A problem about one input field, with an errors[] entry for it. */
int
api_problem_field(struct http_request *req, struct api_ctx *ctx, int status,
    const char *field, const char *code, const char *message)
{
	char	*f, *c, *m, *errors;
	int	 len, ret;

	f = codec_json_escape(field);
	c = codec_json_escape(code);
	m = codec_json_escape(message);
	errors = NULL;
	if (f != NULL && c != NULL && m != NULL) {
		len = snprintf(NULL, 0,
		    "[{\"field\":%s,\"code\":%s,\"message\":%s}]", f, c, m);
		errors = kore_malloc(len + 1);
		snprintf(errors, len + 1,
		    "[{\"field\":%s,\"code\":%s,\"message\":%s}]", f, c, m);
	}
	ret = api_problem_emit(req, ctx, status,
	    status == 422 ? "validation-failed" : "invalid-parameter",
	    message, errors);
	free(f);
	free(c);
	free(m);
	kore_free(errors);

	return (ret);
}

int
api_json(struct http_request *req, struct api_ctx *ctx, int status,
    const void *body, size_t len)
{
	api_send(req, ctx, status, "application/json", body, len);
	return (API_DONE);
}

int
api_no_content(struct http_request *req, struct api_ctx *ctx, int status)
{
	api_send(req, ctx, status, NULL, NULL, 0);
	return (API_DONE);
}

/*
 * Answers a list page from a keyset query that fetched limit + 1 rows:
 * column 0 is the item as JSON text (built by PostgreSQL), columns
 * 1..nkeys the sort keys of that row. A row beyond limit means there is
 * a next page, which starts after the last row shown.
 */
int
api_page(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql, int limit, const char *kind, int nkeys)
{
	struct kore_buf	 buf;
	const char	*keys[CODEC_CURSOR_KEYS];
	char		*cursor;
	int		 i, rows, shown;

	rows = kore_pgsql_ntuples(sql);
	shown = rows > limit ? limit : rows;

	kore_buf_init(&buf, 1024);
	kore_buf_append(&buf, "{\"items\":[", 10);
	for (i = 0; i < shown; i++) {
		if (i > 0)
			kore_buf_append(&buf, ",", 1);
		kore_buf_append(&buf, kore_pgsql_getvalue(sql, i, 0),
		    kore_pgsql_getlength(sql, i, 0));
	}
	kore_buf_append(&buf, "],\"next_cursor\":", 16);

	cursor = NULL;
	if (rows > limit && shown > 0) {
		for (i = 0; i < nkeys; i++)
			keys[i] = kore_pgsql_getvalue(sql, shown - 1, i + 1);
		cursor = codec_cursor_encode(kind, keys, nkeys);
	}
	if (cursor != NULL) {
		kore_buf_appendf(&buf, "\"%s\"}", cursor);
		free(cursor);
	} else {
		kore_buf_append(&buf, "null}", 5);
	}

	api_json(req, ctx, 200, buf.data, buf.offset);
	kore_buf_cleanup(&buf);

	return (API_DONE);
}

/*
 * Refuses query parameters a route does not know: a misspelt filter must
 * not silently widen a list. Returns KORE_RESULT_OK, or KORE_RESULT_ERROR
 * after answering 400.
 */
int
api_query_check(struct http_request *req, struct api_ctx *ctx,
    const char *const *allowed)
{
	int	i, k;

	for (i = 0; i < ctx->query.count; i++) {
		for (k = 0; allowed[k] != NULL; k++) {
			if (strcmp(ctx->query.args[i].name, allowed[k]) == 0)
				break;
		}
		if (allowed[k] == NULL) {
			api_problem_field(req, ctx, 400,
			    ctx->query.args[i].name, "unknown_parameter",
			    "This query parameter is not supported here.");
			return (KORE_RESULT_ERROR);
		}
	}

	return (KORE_RESULT_OK);
}

/* ?limit= (1-100, default 20). Same return convention as above. */
int
api_query_limit(struct http_request *req, struct api_ctx *ctx,
    long long *limit)
{
	const char	*v;

	*limit = 20;
	if ((v = codec_query_get(&ctx->query, "limit")) == NULL)
		return (KORE_RESULT_OK);
	if (codec_parse_int(v, 1, 100, limit) == -1) {
		api_problem_field(req, ctx, 400, "limit", "range",
		    "limit must be a whole number from 1 to 100.");
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

/*
 * ?cursor= of the given kind with n keys. *present tells whether one was
 * given; keys are malloc'ed (codec_cursor_free). Same return convention.
 */
int
api_query_cursor(struct http_request *req, struct api_ctx *ctx,
    const char *kind, char **keys, int n, int *present)
{
	const char	*v;

	*present = 0;
	if ((v = codec_query_get(&ctx->query, "cursor")) == NULL) {
		codec_cursor_decode(NULL, kind, keys, n);
		return (KORE_RESULT_OK);
	}
	if (codec_cursor_decode(v, kind, keys, n) == -1) {
		api_problem_field(req, ctx, 400, "cursor", "invalid",
		    "cursor is not a value this list returned; "
		    "start again without it.");
		return (KORE_RESULT_ERROR);
	}
	*present = 1;

	return (KORE_RESULT_OK);
}
