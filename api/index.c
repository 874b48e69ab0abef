/* The API index and the OpenAPI document the API serves about itself. */

#include "ch.h"

int
index_v1(struct http_request *req, struct api_ctx *ctx)
{
	static const char	body[] =
	    "{\"name\":\"Connecting Humans API\","
	    "\"version\":\"" CH_VERSION "\",\"api_version\":\"v1\","
	    "\"links\":{"
	    "\"self\":{\"href\":\"/v1\"},"
	    "\"openapi\":{\"href\":\"/openapi.json\"},"
	    "\"districts\":{\"href\":\"/v1/districts\"},"
	    "\"places\":{\"href\":\"/v1/places\"},"
	    "\"health\":{\"href\":\"/healthz\"},"
	    "\"ready\":{\"href\":\"/readyz\"}}}";

	return (api_json(req, ctx, 200, body, sizeof(body) - 1));
}

int
index_openapi(struct http_request *req, struct api_ctx *ctx)
{
	return (api_json(req, ctx, 200, openapi_json, openapi_json_len));
}
