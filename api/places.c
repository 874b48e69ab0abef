/* GET /v1/places (search, filters, cursor pages) and /v1/places/{id}. */

#include <stdio.h>
#include <string.h>

#include "ch.h"

#define PLACE_JSON \
	"json_build_object('id', p.id, 'postal_code', p.postal_code, "      \
	"'name', p.name, 'district_id', p.district_id, "                    \
	"'location', json_build_object('lat', p.lat, 'lon', p.lon), "       \
	"'updated_at', p.updated_at)::text"

#define SQL_PLACE_ONE \
	"SELECT " PLACE_JSON " FROM ch.place p WHERE p.id = $1::uuid"

/*
 * Keyset pagination on (search_name, postal_code, id). q matches anywhere
 * in the case- and accent-folded name; its LIKE metacharacters are
 * escaped so "%" and "_" match themselves.
 */
#define SQL_PLACE_LIST \
	"SELECT " PLACE_JSON ", p.search_name, p.postal_code, p.id::text "   \
	"FROM ch.place p "                                                   \
	"WHERE ($1::text IS NULL OR p.district_id = $1) "                    \
	"AND ($2::text IS NULL OR p.postal_code LIKE $2 || '%') "            \
	"AND ($3::text IS NULL OR p.search_name LIKE '%' || "                \
	"replace(replace(replace(ch.search_key($3), '\\', '\\\\'), "         \
	"'%', '\\%'), '_', '\\_') || '%') "                                  \
	"AND ($4::text IS NULL OR (p.search_name, p.postal_code, p.id) > "   \
	"($4, $5, $6::uuid)) "                                               \
	"ORDER BY p.search_name, p.postal_code, p.id LIMIT $7::int"

#define SQL_DISTRICT_EXISTS \
	"SELECT 1 FROM ch.district WHERE id = $1"

struct place_list {
	const char	*district;
};

static int	places_list_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	places_district_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

int
places_list(struct http_request *req, struct api_ctx *ctx)
{
	struct place_list	*st;
	const char		*district;
	char			*after[3];
	int			 present, ret;

	st = kore_calloc(1, sizeof(*st));
	ctx->data = st;
	ctx->data_free = kore_free;
	if (resource_params(req, ctx, "get") != KORE_RESULT_OK ||
	    api_query_limit(req, ctx) != KORE_RESULT_OK)
		return (API_DONE);

	district = codec_query_get(&ctx->query, "district");
	if (api_query_cursor(req, ctx, "place", after, 3, &present) !=
	    KORE_RESULT_OK)
		return (API_DONE);
	if (present && !codec_is_uuid(after[2])) {
		codec_cursor_free(after, 3);
		return (api_problem_field(req, ctx, 400, "cursor", "invalid",
		    "cursor is not a value this list returned; "
		    "start again without it."));
	}

	st->district = district;
	ret = db_query(req, ctx, SQL_PLACE_LIST, places_list_done, 7,
	    district, codec_query_get(&ctx->query, "postal_code"),
	    codec_query_get(&ctx->query, "q"), after[0], after[1], after[2],
	    ctx->fetch);
	codec_cursor_free(after, 3);

	return (ret);
}

static int
places_list_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	struct place_list	*st = ctx->data;

	/* An empty page for a district filter: is the district real? */
	if (kore_pgsql_ntuples(sql) == 0 && st->district != NULL) {
		return (db_query(req, ctx, SQL_DISTRICT_EXISTS,
		    places_district_done, 1, st->district));
	}

	return (api_page(req, ctx, sql, "place", 3));
}

static int
places_district_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	static const char	empty[] = "{\"items\":[],\"next_cursor\":null}";

	if (kore_pgsql_ntuples(sql) == 0) {
		return (api_problem_field(req, ctx, 400, "district", "unknown",
		    "There is no district with this key."));
	}

	return (api_json(req, ctx, 200, empty, sizeof(empty) - 1));
}

int
places_one(struct http_request *req, struct api_ctx *ctx)
{
	if (resource_params(req, ctx, "get") != KORE_RESULT_OK)
		return (API_DONE);

	return (db_query(req, ctx, SQL_PLACE_ONE, db_respond_json, 1,
	    ctx->params[0]));
}
