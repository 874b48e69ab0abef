/* Every response leaves through here: JSON, text, problem details, pages. */

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "ch.h"

static void	api_send(struct http_request *, struct api_ctx *, int,
		    const char *, const void *, size_t);
static const char *problem_title(int);
static int	api_problem_emit(struct http_request *, struct api_ctx *, int,
		    const char *, const char *, const char *);
static int	json_scan(const char *, size_t, int *, char *, size_t);

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
	case 412:
		return ("Precondition failed");
	case 413:
		return ("Payload too large");
	case 415:
		return ("Unsupported media type");
	case 422:
		return ("Unprocessable content");
	case 428:
		return ("Precondition required");
	case 429:
		return ("Too many requests");
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

/* A problem with an errors[] array given as JSON text (or NULL). */
int
api_problem_errors(struct http_request *req, struct api_ctx *ctx, int status,
    const char *type, const char *detail, const char *errors)
{
	return (api_problem_emit(req, ctx, status, type, detail, errors));
}

/* A problem about one input field, with an errors[] entry for it. */
int
api_problem_field(struct http_request *req, struct api_ctx *ctx, int status,
    const char *field, const char *code, const char *message)
{
	struct api_errors	e;

	api_errors_init(&e);
	api_errors_add(&e, field, code, message);

	return (api_errors_answer(req, ctx, status, &e, message));
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

/* A body of another media type than JSON (GET /metrics: text). */
int
api_text(struct http_request *req, struct api_ctx *ctx, int status,
    const char *type, const void *body, size_t len)
{
	api_send(req, ctx, status, type, body, len);
	return (API_DONE);
}

/*
 * The address of the connection's peer as text (IPv4, or IPv6 in
 * canonical form): the client, or the proxy in front of it. Returns -1
 * when the peer has no IP address.
 */
int
api_peer_address(struct http_request *req, char *out, size_t outlen)
{
	struct connection	*c = req->owner;
	const void		*addr;

	if (c->family == AF_INET)
		addr = &c->addr.ipv4.sin_addr;
	else if (c->family == AF_INET6)
		addr = &c->addr.ipv6.sin6_addr;
	else
		return (-1);
	if (inet_ntop(c->family, addr, out, outlen) == NULL)
		return (-1);

	return (0);
}

/*
 * Answers a list page from a keyset query that fetched ctx->limit + 1 rows
 * (see api_query_limit):
 * column 0 is the item as JSON text (built by PostgreSQL), columns
 * 1..nkeys the sort keys of that row. A row beyond limit means there is
 * a next page, which starts after the last row shown.
 */
int
api_page(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql, const char *kind, int nkeys)
{
	int		 limit = (int)ctx->limit;
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
 * ?limit= (1-100, default 20) into ctx->limit, and into ctx->fetch the
 * rows to ask for (one more, to see whether a next page exists) as a
 * query parameter. The contract check ran before: what it lets through
 * and this refuses is a whole number not written as one ("5.0", "1e1").
 * Returns KORE_RESULT_OK, or KORE_RESULT_ERROR after answering 400.
 */
int
api_query_limit(struct http_request *req, struct api_ctx *ctx)
{
	const char	*v;

	ctx->limit = 20;
	if ((v = codec_query_get(&ctx->query, "limit")) != NULL &&
	    codec_parse_int(v, 1, 100, &ctx->limit) == -1) {
		api_problem_field(req, ctx, 400, "limit", "type",
		    "limit must be a whole number from 1 to 100.");
		return (KORE_RESULT_ERROR);
	}
	(void)snprintf(ctx->fetch, sizeof(ctx->fetch), "%lld", ctx->limit + 1);

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

/* Validation errors for one answer: a JSON array being built. */
void
api_errors_init(struct api_errors *e)
{
	kore_buf_init(&e->buf, 256);
	kore_buf_append(&e->buf, "[", 1);
	e->count = 0;
}

/*
 * Adds one entry; field is a JSON pointer into the body ("/email"),
 * message plain text for people. Only the first API_ERRORS_MAX count.
 */
void
api_errors_add(struct api_errors *e, const char *field, const char *code,
    const char *message)
{
	char	*f, *c, *m;

	if (e->count == API_ERRORS_MAX)
		return;
	f = codec_json_escape(field);
	c = codec_json_escape(code);
	m = codec_json_escape(message);
	if (f != NULL && c != NULL && m != NULL) {
		kore_buf_appendf(&e->buf, "%s{\"field\":%s,\"code\":%s,"
		    "\"message\":%s}", e->count > 0 ? "," : "", f, c, m);
		e->count++;
	}
	free(f);
	free(c);
	free(m);
}

void
api_errors_cleanup(struct api_errors *e)
{
	kore_buf_cleanup(&e->buf);
}

/* Answers 400 or 422 with the gathered errors; the first is the detail. */
int
api_errors_answer(struct http_request *req, struct api_ctx *ctx,
    int status, struct api_errors *e, const char *detail)
{
	int	ret;

	kore_buf_append(&e->buf, "]", 1);
	kore_buf_append(&e->buf, "", 1);
	ret = api_problem_emit(req, ctx, status,
	    status == 422 ? "validation-failed" : "invalid-parameter",
	    detail, (const char *)e->buf.data);
	api_errors_cleanup(e);

	return (ret);
}

/*
 * One pass over a JSON text before parsing it: returns the deepest
 * nesting of arrays and objects (so a hostile body cannot make the parser
 * recurse far), and finds an escaped NUL (\u0000) in a string, which
 * cJSON would silently cut the string at. *nul is set for one, and member
 * gets the top-level member it was in (raw, possibly empty).
 */
static int
json_scan(const char *s, size_t len, int *nul, char *member, size_t mlen)
{
	size_t	i, start, key_start, key_len;
	int	depth, max, in_str;

	depth = max = in_str = 0;
	start = key_start = key_len = 0;
	*nul = 0;
	member[0] = '\0';
	for (i = 0; i < len; i++) {
		if (in_str) {
			if (s[i] == '\\') {
				if (!*nul && len - i > 5 &&
				    strncasecmp(s + i + 1, "u0000", 5) == 0) {
					*nul = 1;
					(void)snprintf(member, mlen, "%.*s",
					    (int)key_len, s + key_start);
				}
				i++;
			} else if (s[i] == '"') {
				in_str = 0;
				if (depth == 1) {
					key_start = start;
					key_len = i - start;
				}
			}
			continue;
		}
		switch (s[i]) {
		case '"':
			in_str = 1;
			start = i + 1;
			break;
		case '[':
		case '{':
			if (++depth > max)
				max = depth;
			break;
		case ']':
		case '}':
			depth--;
			break;
		}
	}

	return (max);
}

/*
 * The request body as a JSON object. Answers 415 for another media type
 * (merge_patch: application/merge-patch+json is accepted as well), 400
 * for an empty, non-UTF-8, too deeply nested or malformed body or one
 * that is not an object, 422 for a string holding \u0000. Returns KORE_RESULT_OK with *out to be freed by
 * the caller with cJSON_Delete, or KORE_RESULT_ERROR after answering.
 */
int
api_body_json(struct http_request *req, struct api_ctx *ctx, int merge_patch,
    cJSON **out)
{
	struct kore_buf	*body = req->http_body;
	const char	*type, *data;
	char		 member[64], field[68];
	size_t		 len, tlen;
	int		 nul;

	*out = NULL;
	if (!http_request_header(req, "content-type", &type))
		type = "";
	tlen = strcspn(type, "; \t");
	if (!((tlen == 16 && strncasecmp(type, "application/json", 16) == 0) ||
	    (merge_patch && tlen == 28 &&
	    strncasecmp(type, "application/merge-patch+json", 28) == 0))) {
		api_problem(req, ctx, 415, "unsupported-media-type",
		    merge_patch ? "Send the body as application/merge-patch+json"
		    " or application/json." :
		    "Send the body as application/json.");
		return (KORE_RESULT_ERROR);
	}

	/* Kore rewinds the buffer once the body is in: its length is
	 * http_body_length, not the buffer's offset. */
	data = body != NULL ? (const char *)body->data : NULL;
	len = body != NULL ? req->http_body_length : 0;
	if (len == 0) {
		api_problem(req, ctx, 400, "malformed-body",
		    "The request needs a JSON body.");
		return (KORE_RESULT_ERROR);
	}
	if (!codec_utf8_valid(data, len) || memchr(data, '\0', len) != NULL) {
		api_problem(req, ctx, 400, "malformed-body",
		    "The body is not valid UTF-8 text.");
		return (KORE_RESULT_ERROR);
	}
	if (json_scan(data, len, &nul, member, sizeof(member)) >
	    API_JSON_DEPTH_MAX) {
		api_problem(req, ctx, 400, "malformed-body",
		    "The body nests arrays and objects more than 32 deep.");
		return (KORE_RESULT_ERROR);
	}
	if (nul) {
		(void)snprintf(field, sizeof(field), "/%s", member);
		api_problem_field(req, ctx, 422, field, "control_character",
		    "Strings must not contain NUL characters (\\u0000).");
		return (KORE_RESULT_ERROR);
	}
	if (!codec_json_strict(data, len, API_JSON_DEPTH_MAX)) {
		api_problem(req, ctx, 400, "malformed-body",
		    "The body is not valid JSON (RFC 8259).");
		return (KORE_RESULT_ERROR);
	}
	if ((*out = cJSON_ParseWithLength(data, len)) == NULL ||
	    !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		api_problem(req, ctx, 400, "malformed-body",
		    "The body is not a JSON object.");
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

/* A strong ETag for a row version. */
void
api_etag(struct http_request *req, const char *version)
{
	char	tag[32];

	(void)snprintf(tag, sizeof(tag), "\"%s\"", version);
	http_response_header(req, "etag", tag);
}
