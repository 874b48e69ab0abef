/* Liveness (no database) and readiness (database and schema version). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"

#define SQL_SCHEMA_VERSION \
	"SELECT coalesce(max(version), 0) FROM public.schema_migrations"

static int	health_ready_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

int
health_live(struct http_request *req, struct api_ctx *ctx)
{
	static const char	body[] = "{\"status\":\"ok\"}";

	return (api_json(req, ctx, 200, body, sizeof(body) - 1));
}

int
health_ready(struct http_request *req, struct api_ctx *ctx)
{
	return (db_query(req, ctx, SQL_SCHEMA_VERSION, health_ready_done, 0));
}

static int
health_ready_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	long long	version;
	char		body[96];
	int		len;

	if (kore_pgsql_ntuples(sql) != 1 ||
	    codec_parse_int(kore_pgsql_getvalue(sql, 0, 0), 0, 9999,
	    &version) == -1)
		version = -1;

	if (version != CH_SCHEMA_VERSION) {
		snprintf(body, sizeof(body), "The database schema is at "
		    "version %lld; this build needs %d.", version,
		    CH_SCHEMA_VERSION);
		return (api_problem(req, ctx, 503, "not-ready", body));
	}

	len = snprintf(body, sizeof(body),
	    "{\"status\":\"ready\",\"schema_version\":%lld}", version);
	return (api_json(req, ctx, 200, body, len));
}
