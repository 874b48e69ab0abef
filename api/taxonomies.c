/*
 * /v1/taxonomies: the code lists of the data model with labels in the
 * caller's language (Accept-Language). Codes never change; labels may.
 * Public, so that apps can show forms before anyone signs in.
 */

#include <stdio.h>
#include <string.h>

#include "ch.h"

#define SQL_TAXONOMY_LIST	"SELECT ch.taxonomy_list()"
#define SQL_TAXONOMY_ONE \
	"SELECT locale, body FROM ch.taxonomy_get($1, $2::text[])"

#define LOCALES_MAX	8

static int	taxonomies_one_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

int
taxonomies_list(struct http_request *req, struct api_ctx *ctx)
{
	if (resource_params(req, ctx, "get") != KORE_RESULT_OK)
		return (API_DONE);

	return (db_query(req, ctx, SQL_TAXONOMY_LIST, db_respond_json, 0));
}

int
taxonomies_one(struct http_request *req, struct api_ctx *ctx)
{
	const char	*h;
	char		 tags[LOCALES_MAX][4], list[LOCALES_MAX * 5 + 3];
	size_t		 used;
	int		 i, n;

	if (resource_params(req, ctx, "get") != KORE_RESULT_OK)
		return (API_DONE);

	n = http_request_header(req, "accept-language", &h) ?
	    codec_accept_language(h, tags, LOCALES_MAX) : 0;
	used = (size_t)snprintf(list, sizeof(list), "{");
	for (i = 0; i < n; i++) {
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%s%s", i > 0 ? "," : "", tags[i]);
	}
	(void)snprintf(list + used, sizeof(list) - used, "}");

	return (db_query(req, ctx, SQL_TAXONOMY_ONE, taxonomies_one_done, 2,
	    ctx->params[0], list));
}

static int
taxonomies_one_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	if (kore_pgsql_ntuples(sql) != 1) {
		return (api_problem(req, ctx, 404, "not-found",
		    "No such taxonomy."));
	}
	http_response_header(req, "content-language",
	    kore_pgsql_getvalue(sql, 0, 0));
	http_response_header(req, "vary", "Accept-Language");

	return (api_json(req, ctx, 200, kore_pgsql_getvalue(sql, 0, 1),
	    kore_pgsql_getlength(sql, 0, 1)));
}
