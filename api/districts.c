/* GET /v1/districts and /v1/districts/{id}: the six project districts. */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ch.h"

#define DISTRICT_JSON \
	"json_build_object('id', d.id, 'name', d.name, 'kind', d.kind, "     \
	"'seat', d.seat, 'state', d.state, "                                 \
	"'location', json_build_object('lat', d.lat, 'lon', d.lon), "        \
	"'version', d.version, 'updated_at', d.updated_at)::text"

#define SQL_DISTRICT_ONE \
	"SELECT " DISTRICT_JSON " FROM ch.district d WHERE d.id = $1"

#define SQL_DISTRICT_LIST \
	"SELECT " DISTRICT_JSON ", d.id FROM ch.district d "                 \
	"WHERE $1::text IS NULL OR d.id > $1 ORDER BY d.id LIMIT $2::int"

static int	districts_list_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

int
districts_list(struct http_request *req, struct api_ctx *ctx)
{
	char	*after[1];
	int	 present, ret;

	if (resource_params(req, ctx, "get") != KORE_RESULT_OK ||
	    api_query_limit(req, ctx) != KORE_RESULT_OK ||
	    api_query_cursor(req, ctx, "district", after, 1, &present) !=
	    KORE_RESULT_OK)
		return (API_DONE);

	ret = db_query(req, ctx, SQL_DISTRICT_LIST, districts_list_done, 2,
	    present ? after[0] : NULL, ctx->fetch);
	codec_cursor_free(after, 1);

	return (ret);
}

static int
districts_list_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	return (api_page(req, ctx, sql, "district", 1));
}

int
districts_one(struct http_request *req, struct api_ctx *ctx)
{
	if (resource_params(req, ctx, "get") != KORE_RESULT_OK)
		return (API_DONE);

	return (db_query(req, ctx, SQL_DISTRICT_ONE, db_respond_json, 1,
	    ctx->params[0]));
}

#if defined(CH_BENCH_ROUTES)
/*
 * The same representation built in C with cJSON from plain columns: only
 * in the benchmark build, to compare against JSON built by PostgreSQL.
 */
#define SQL_DISTRICT_ROW \
	"SELECT d.id, d.name, d.kind, d.seat, d.state, d.lat, d.lon, "       \
	"d.version, d.updated_at FROM ch.district d "            \
	"WHERE d.id = $1"

static int	districts_one_cjson_done(struct http_request *,
		    struct api_ctx *, struct kore_pgsql *);

int
districts_one_cjson(struct http_request *req, struct api_ctx *ctx)
{
	if (!codec_is_district_key(ctx->params[0])) {
		return (api_problem_field(req, ctx, 400, "id", "format",
		    "A district id is its five-digit official key."));
	}

	return (db_query(req, ctx, SQL_DISTRICT_ROW, districts_one_cjson_done,
	    1, ctx->params[0]));
}

static int
districts_one_cjson_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	cJSON	*doc, *loc;
	char	*body;
	int	 ret;

	if (kore_pgsql_ntuples(sql) == 0)
		return (api_problem(req, ctx, 404, "not-found",
		    "No such resource."));

	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "id", kore_pgsql_getvalue(sql, 0, 0));
	cJSON_AddStringToObject(doc, "name", kore_pgsql_getvalue(sql, 0, 1));
	cJSON_AddStringToObject(doc, "kind", kore_pgsql_getvalue(sql, 0, 2));
	cJSON_AddStringToObject(doc, "seat", kore_pgsql_getvalue(sql, 0, 3));
	cJSON_AddStringToObject(doc, "state", kore_pgsql_getvalue(sql, 0, 4));
	loc = cJSON_AddObjectToObject(doc, "location");
	cJSON_AddNumberToObject(loc, "lat",
	    strtod(kore_pgsql_getvalue(sql, 0, 5), NULL));
	cJSON_AddNumberToObject(loc, "lon",
	    strtod(kore_pgsql_getvalue(sql, 0, 6), NULL));
	cJSON_AddNumberToObject(doc, "version",
	    strtod(kore_pgsql_getvalue(sql, 0, 7), NULL));
	cJSON_AddStringToObject(doc, "updated_at",
	    kore_pgsql_getvalue(sql, 0, 8));
	body = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);

	ret = api_json(req, ctx, 200, body, strlen(body));
	cJSON_free(body);

	return (ret);
}
#endif
